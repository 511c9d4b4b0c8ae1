"""A URLconf with one exempt view, to prove the CSRF walk can fail."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


def protected(request):
    return HttpResponse("ok")


@csrf_exempt
def careless(request):
    return HttpResponse("ok")


nested = (
    [path("deep/", careless, name="careless"), path("fine/", protected)],
    "inner",
)

urlpatterns = [
    path("protected/", protected, name="protected"),
    path("nested/", include(nested)),
]
