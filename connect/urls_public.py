"""Stripe endpoints on the root domain: the webhook."""

from django.urls import path

from connect import views

app_name = "connect"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
