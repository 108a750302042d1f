"""Suqiu's Chalice application: routes, middleware and (later) schedules and queues.

Wiring only; what each route does lives in chalicelib.api.
"""
from chalice import Chalice, ConvertToMiddleware

from chalicelib.api import http, lazy
from chalicelib.observability import logger, metrics

public = lazy("chalicelib.api.public")
staff = lazy("chalicelib.api.staff")

app = Chalice(app_name="suqiu")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
app.register_middleware(http.middleware, "http")


# ---- residents -----------------------------------------------------------------

@app.route("/api/v1/catalog", methods=["GET"])
def catalog():
    return public.catalog(app.current_request)


@app.route("/api/v1/uploads", methods=["POST"])
def create_upload():
    return public.create_upload(app.current_request)


@app.route("/api/v1/requests", methods=["POST"])
def submit_request():
    return public.submit(app.current_request, app.lambda_context)


@app.route("/api/v1/requests/{tracking_no}", methods=["GET"])
def track_request(tracking_no):
    return public.track(app.current_request, tracking_no)


@app.route("/api/v1/requests/{tracking_no}/rating", methods=["POST"])
def rate_request(tracking_no):
    return public.rate(app.current_request, tracking_no)


# ---- staff -------------------------------------------------------------------

@app.route("/api/v1/staff/requests", methods=["GET"])
def staff_list_requests():
    return staff.list_requests(app.current_request)


@app.route("/api/v1/staff/requests/{tracking_no}", methods=["GET"])
def staff_request_detail(tracking_no):
    return staff.request_detail(app.current_request, tracking_no)


@app.route("/api/v1/staff/requests/{tracking_no}/actions", methods=["POST"])
def staff_act(tracking_no):
    return staff.act(app.current_request, tracking_no)
