"""Suqiu's Chalice application: routes, middleware, the schedule and the notification pipeline.

Wiring only; what each route does lives in chalicelib.api.
"""
from chalice import Chalice, ConvertToMiddleware, Rate

from chalicelib.api import http, lazy
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

pages = lazy("chalicelib.api.pages")
public = lazy("chalicelib.api.public")
staff = lazy("chalicelib.api.staff")
residents = lazy("chalicelib.api.residents")
admin = lazy("chalicelib.api.admin")
open311 = lazy("chalicelib.api.open311")
imports = lazy("chalicelib.api.imports")
openapi = lazy("chalicelib.api.openapi")
escalation = lazy("chalicelib.services.escalation")
notify = lazy("chalicelib.services.notify")
import_rows_of = lazy("chalicelib.services.imports")
_settings = get_settings()

app = Chalice(app_name="suqiu")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
app.register_middleware(http.middleware, "http")
# Open311 clients expect the specification's error format, Chalice's own refusals (415, 405) too;
# the module loads on the first such refusal, not on every cold start.
http.RENDERERS["/open311/"] = lambda request, status: open311.chalice_error(request, status)


# ---- web pages (chalicelib/web) -----------------------------------------------------

@app.route("/", methods=["GET"])
def residents_page():
    return pages.serve_page(app.current_request, "/")


@app.route("/staff", methods=["GET"])
def staff_console_page():
    return pages.serve_page(app.current_request, "/staff")


@app.route("/dashboard", methods=["GET"])
def dashboard_page():
    return pages.serve_page(app.current_request, "/dashboard")


@app.route("/cases", methods=["GET"])
def case_library_page():
    return pages.serve_page(app.current_request, "/cases")


@app.route("/assets/{name}", methods=["GET"])
def web_asset(name):
    return pages.serve_asset(app.current_request, name)


# ---- residents -----------------------------------------------------------------

@app.route("/api/v1/catalog", methods=["GET"])
def catalog():
    return public.catalog(app.current_request)


@app.route("/api/v1/uploads", methods=["POST"])
def create_upload():
    return public.create_upload(app.current_request)


@app.route("/api/v1/suggest", methods=["POST"])
def suggest_category():
    return public.suggest(app.current_request)


@app.route("/api/v1/requests", methods=["POST"])
def submit_request():
    return public.submit(app.current_request, app.lambda_context)


@app.route("/api/v1/requests/{tracking_no}", methods=["GET"])
def track_request(tracking_no):
    return public.track(app.current_request, tracking_no)


@app.route("/api/v1/requests/{tracking_no}/rating", methods=["POST"])
def rate_request(tracking_no):
    return public.rate(app.current_request, tracking_no)


@app.route("/api/v1/cases", methods=["GET"])
def list_cases():
    return public.list_cases(app.current_request)


@app.route("/api/v1/otp", methods=["POST"])
def send_otp():
    return residents.send_code(app.current_request)


@app.route("/api/v1/otp/verify", methods=["POST"])
def verify_otp():
    return residents.verify_code(app.current_request)


@app.route("/api/v1/me/requests", methods=["GET"])
def my_requests():
    return residents.own_requests(app.current_request)


# ---- staff -------------------------------------------------------------------

@app.route("/api/v1/staff/requests", methods=["GET"])
def staff_list_requests():
    return staff.list_requests(app.current_request)


@app.route("/api/v1/staff/requests", methods=["POST"])
def staff_take_request():
    return staff.take_request(app.current_request, app.lambda_context)


@app.route("/api/v1/staff/callers/{phone}/requests", methods=["GET"])
def staff_caller_requests(phone):
    return staff.caller_requests(app.current_request, phone)


@app.route("/api/v1/staff/requests/{tracking_no}", methods=["GET"])
def staff_request_detail(tracking_no):
    return staff.request_detail(app.current_request, tracking_no)


@app.route("/api/v1/staff/requests/{tracking_no}/actions", methods=["POST"])
def staff_act(tracking_no):
    return staff.act(app.current_request, tracking_no)


@app.route("/api/v1/staff/hotspots", methods=["GET"])
def staff_hotspots():
    return staff.hotspots(app.current_request)


@app.route("/api/v1/staff/units/{unit}/people", methods=["GET"])
def staff_unit_people(unit):
    return staff.unit_people(app.current_request, unit)


@app.route("/api/v1/staff/workload", methods=["GET"])
def staff_workload():
    return staff.workload(app.current_request)


@app.route("/api/v1/staff/imports", methods=["POST"], content_types=["text/csv"])
def staff_start_import():
    return imports.start(app.current_request)


@app.route("/api/v1/staff/imports/{import_id}", methods=["GET"])
def staff_import_progress(import_id):
    return imports.progress(app.current_request, import_id)


# ---- administrators: partner channels and their API keys -----------------------

@app.route("/api/v1/admin/channels", methods=["GET"])
def admin_list_channels():
    return admin.list_channels(app.current_request)


@app.route("/api/v1/admin/channels/{channel}/api-keys", methods=["GET"])
def admin_list_api_keys(channel):
    return admin.list_keys(app.current_request, channel)


@app.route("/api/v1/admin/channels/{channel}/api-keys", methods=["POST"])
def admin_issue_api_key(channel):
    return admin.issue_key(app.current_request, channel)


@app.route("/api/v1/admin/channels/{channel}/api-keys/{key_id}", methods=["DELETE"])
def admin_revoke_api_key(channel, key_id):
    return admin.revoke_key(app.current_request, channel, key_id)


# ---- the API's own description -------------------------------------------------

@app.route("/api/v1/openapi.json", methods=["GET"])
def openapi_document():
    return openapi.serve(app.current_request)


# ---- Open311 GeoReport v2 -------------------------------------------------------
# Path parameters are whole segments (API Gateway allows no other): "services.json"
# is one, and the handlers split off the format.

@app.route("/open311/v2/{resource}", methods=["GET"])
def open311_get(resource):
    return open311.get(app.current_request, resource)


@app.route("/open311/v2/{resource}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def open311_post(resource):
    return open311.post(app.current_request, resource)


@app.route("/open311/v2/services/{service_file}", methods=["GET"])
def open311_service_definition(service_file):
    return open311.service_definition(app.current_request, service_file)


@app.route("/open311/v2/requests/{request_file}", methods=["GET"])
def open311_request(request_file):
    return open311.one_request(app.current_request, request_file)


@app.route("/open311/v2/tokens/{token_file}", methods=["GET"])
def open311_token(token_file):
    return open311.token(app.current_request, token_file)


# ---- the staff pages' data --------------------------------------------------------

@app.route("/api/v1/staff/config", methods=["GET"])
def staff_console_config():
    return staff.console_config(app.current_request)


@app.route("/api/v1/staff/city", methods=["GET"])
def staff_city_map():
    return staff.city_map(app.current_request)


@app.route("/api/v1/staff/stats", methods=["GET"])
def staff_stats():
    return staff.stats_summary(app.current_request)


@app.route("/api/v1/staff/export", methods=["GET"])
def staff_export():
    return staff.export_orders(app.current_request)


# ---- deadlines and notifications ----------------------------------------------

@app.schedule(Rate(5, unit=Rate.MINUTES), name="escalate")
def escalate(event):
    return escalation.sweep()


# The outbox's stream: every SMS a change stored is put on the notify queue. The records
# not queued are answered as a partial batch failure, retried, and at last dead-lettered
# (the event source mapping's settings are in infra/functions.yaml: Chalice cannot set them).
@app.on_dynamodb_record(stream_arn=_settings.outbox_stream_arn, starting_position="TRIM_HORIZON", name="relay_outbox")
def relay_outbox(event):
    return notify.relay(event.to_dict()["Records"])


# Partial batch responses: the event source mapping needs FunctionResponseTypes
# ReportBatchItemFailures, which Chalice cannot set (see infra/functions.yaml).
@app.on_sqs_message(queue=_settings.notify_queue, batch_size=10, name="deliver")
def deliver(event):
    return notify.deliver(event.to_dict(), event.context)


# A batch import's slices of rows, one at a time (services/imports.py); partial batch responses
# as deliver's (infra/functions.yaml).
@app.on_sqs_message(queue=_settings.imports_queue, batch_size=1, name="import_rows")
def import_rows(event):
    return import_rows_of.process(event.to_dict(), event.context)
