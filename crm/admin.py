from django.contrib import admin

from crm.models import Subject, TutorProfile, TutorSubject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "ordering")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")


class TutorSubjectInline(admin.TabularInline):
    model = TutorSubject
    extra = 0


@admin.register(TutorProfile)
class TutorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "headline", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    inlines = [TutorSubjectInline]
