"""Who sent a request, for the throttles of the admin login and the appointment form."""


def client_address(request):
    # Behind the TLS proxy the client is the last X-Forwarded-For hop the proxy added.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (
        forwarded.split(",")[-1].strip()
        if forwarded
        else request.META.get("REMOTE_ADDR", "")
    )
