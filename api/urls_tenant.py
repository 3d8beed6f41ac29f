"""API on a tenant's host: everything acts inside that tenant."""

from django.urls import path

from api.urls_common import urlpatterns as common
from api.views import (
    billing_connect,
    billing_history,
    billing_invoices,
    billing_payments,
    billing_wallet,
    crm,
    crm_agency,
    crm_credentials,
    crm_progress,
    crm_students,
    meetings_agency,
    meetings_completion,
    meetings_join,
    meetings_zoom,
    scheduling_agency,
    scheduling_availability,
    scheduling_calendars,
    scheduling_history,
    scheduling_series,
    scheduling_sessions,
    team,
)

app_name = "api"

urlpatterns = [
    *common,
    path("me/membership/", team.MyMembershipView.as_view(), name="my_membership"),
    path("team/members/", team.MemberListView.as_view(), name="members"),
    path("team/members/<int:pk>/", team.MemberDetailView.as_view(), name="member"),
    path(
        "team/members/<int:pk>/deactivate/",
        team.MemberDeactivateView.as_view(),
        name="member_deactivate",
    ),
    path(
        "team/members/<int:pk>/reactivate/",
        team.MemberReactivateView.as_view(),
        name="member_reactivate",
    ),
    path("team/invitations/", team.InvitationListView.as_view(), name="invitations"),
    path(
        "team/invitations/<int:pk>/revoke/",
        team.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("team/invitations/accept/", team.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("crm/subjects/", crm.SubjectListView.as_view(), name="crm_subjects"),
    path("crm/subjects/<int:pk>/", crm.SubjectDetailView.as_view(), name="crm_subject"),
    path("crm/tutors/", crm.TutorListView.as_view(), name="crm_tutors"),
    path("crm/tutors/me/", crm.MyTutorProfileView.as_view(), name="crm_my_tutor_profile"),
    path(
        "crm/tutors/me/subjects/",
        crm.MyTutorSubjectListView.as_view(),
        name="crm_my_tutor_subjects",
    ),
    path(
        "crm/tutors/me/subjects/<int:pk>/",
        crm.MyTutorSubjectDetailView.as_view(),
        name="crm_my_tutor_subject",
    ),
    path("crm/tutors/<int:pk>/", crm.TutorDetailView.as_view(), name="crm_tutor"),
    *crm_credentials.urlpatterns,
    *crm_students.urlpatterns,
    *crm_agency.urlpatterns,
    *crm_progress.urlpatterns,
    *scheduling_availability.urlpatterns,
    *scheduling_sessions.urlpatterns,
    *scheduling_series.urlpatterns,
    *scheduling_history.urlpatterns,
    *scheduling_calendars.urlpatterns,
    *scheduling_agency.urlpatterns,
    *meetings_join.urlpatterns,
    *meetings_completion.urlpatterns,
    *meetings_agency.urlpatterns,
    *meetings_zoom.urlpatterns,
    *billing_payments.urlpatterns,
    *billing_history.urlpatterns,
    *billing_wallet.urlpatterns,
    *billing_invoices.urlpatterns,
    *billing_connect.urlpatterns,
]
