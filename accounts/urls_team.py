from django.urls import path

from accounts import views_team

app_name = "team"

urlpatterns = [
    path("", views_team.member_list_page, name="members"),
    path("invite/", views_team.invite, name="invite"),
    path("members/<int:pk>/role/", views_team.member_role, name="member_role"),
    path("members/<int:pk>/deactivate/", views_team.member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/reactivate/", views_team.member_reactivate, name="member_reactivate"),
    path("invitations/<int:pk>/revoke/", views_team.invitation_revoke, name="invitation_revoke"),
    path(
        "invitations/accept/<str:token>/",
        views_team.invitation_accept_page,
        name="invitation_accept",
    ),
]
