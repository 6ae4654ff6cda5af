"""The web pages' routers: sign-in, the dashboard, data entry."""
