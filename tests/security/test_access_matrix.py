"""Who may reach what: every route × method × role, with the answer each one must get.

The routes come from the URL conf and the OpenAPI schema themselves, so an endpoint added without a row in
``EXPECTED`` fails ``test_every_route_has_a_written_expectation``. Principles (docs/security.md):

- another tenant's object is answered exactly like a missing one (404, same body);
- anonymous callers get 401 from the API and a redirect to the login page from the web;
- a role that may know of a resource but not act on it gets 403;
- no 2xx answer ever carries a marker of data outside the caller's scope (other tenants' references,
  internal notes, other consumers' contact data).
"""

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import CharField, TextField
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.follow_up import follow_ups_request
from complaints.models import ChargebackPack, DossierExport, DossierExportStatus, NoticeKind
from complaints.services import (
    complaint_accept,
    complaint_add_note,
    complaint_dispute,
    complaint_escalate,
    complaint_request_info,
    complaint_respond,
)
from platforms.models import ApiKey, WebhookEndpoint
from portal.models import Notification, NotificationKind, User
from portal.offices import national_office
from regulation import desk
from regulation.models import PenaltyKind, VanishingAlert
from regulation.notices import notice_decide
from regulation.open_data import open_data_export
from regulation.penalties import penalty_issue
from tests.factories import (
    ConsumerFactory,
    ManagerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    add_evidence,
    file_complaint,
    image_upload,
)
from tests.fixtures_roles import make_api_key

ROLES = (
    "anonymous",
    "owner",  # the consumer who filed complaint A (against platform A)
    "other_consumer",  # files complaint B against platform B
    "agent",  # staff of platform A
    "manager",  # manager of platform A
    "other_agent",  # staff of platform B
    "api_key",  # platform A's key
    "other_api_key",  # platform B's key
    "revoked_api_key",  # platform A's key, revoked
    "regulator",
    "superuser",
)

# Prefixes that are not the product's own routes: the admin has its own permission system (the access-log
# page is checked in test_hardening), i18n is Django's language switch, the schema and docs are public.
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/schema/", "api/docs/", "api/redoc/")

# --- the expectations -------------------------------------------------------------------------------------
# (url name, method): one answer per role, in the order of ROLES. ``log`` is a 302 to the login page; a
# plain 302 is any other redirect (the page's own, after a form: success or messages as flash messages).
# Notes above a row say why an answer is not the obvious one.
#
# Objects: ``pk``/``id`` is complaint A unless the row's ROUTE_OBJECTS entry says otherwise. POST bodies
# are in REQUEST_BODIES; rows with STATE_BEFORE move complaint A into the state the action needs first.
#                                               ano own oco agt mgr oag key oky rvk reg su
EXPECTED: dict[tuple[str, str], str] = {
    # Token endpoint: no authentication at all (wrong credentials → 400 for everyone; lockout: hardening).
    ("portal_api:token", "POST"): "400 400 400 400 400 400 400 400 400 400 400",
    ("portal_api:me", "GET"): "401 200 200 200 200 200 200 200 401 200 200",
    ("complaints_api:complaint-list", "GET"): "401 200 200 200 200 200 200 200 401 200 200",
    # Filing is for consumers; the superuser (createsuperuser) is a regulator, so it answers as one throughout.
    ("complaints_api:complaint-list", "POST"): "401 201 201 403 403 403 403 403 401 403 403",
    ("complaints_api:complaint-detail", "GET"): "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:complaint-events", "GET"): "401 200 404 200 200 404 200 404 401 200 200",
    # Evidence may be added by the consumer, the platform concerned and regulators (party recorded).
    ("complaints_api:complaint-evidence", "POST"): "401 201 404 201 201 404 201 404 401 201 201",
    ("complaints_api:evidence-download", "GET"): "401 200 404 200 200 404 200 404 401 200 200",
    # The thread: whoever sees the complaint reads it and posts on it (as consumer, platform or regulator).
    ("complaints_api:complaint-messages", "GET"): "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:complaint-messages", "POST"): "401 201 404 201 201 404 201 404 401 201 201",
    ("complaints_api:complaint-messages-with-files", "POST"): "401 201 404 201 201 404 201 404 401 201 201",
    ("complaints_api:complaint-withdraw", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-accept", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-dispute", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-escalate", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-supply-info", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-publication", "POST"): "401 200 404 403 403 404 403 404 401 403 403",
    ("complaints_api:complaint-respond", "POST"): "401 403 404 201 201 404 201 404 401 403 403",
    ("complaints_api:complaint-request-info", "POST"): "401 403 404 200 200 404 200 404 401 403 403",
    ("complaints_api:complaint-assign", "POST"): "401 403 404 200 200 404 200 404 401 403 403",
    # Internal notes do not exist for consumers at all: 404 even for the owner.
    ("complaints_api:complaint-notes", "GET"): "401 404 404 200 200 404 200 404 401 200 200",
    ("complaints_api:complaint-notes", "POST"): "401 404 404 201 201 404 201 404 401 201 201",
    # Lists: 200 with the caller's own rows only (the leak check below looks for the other tenant's).
    ("complaints_api:platform-inbox", "GET"):                  "401 403 403 200 200 200 200 200 401 403 403",
    # A platform's downloads: its own complaints and figures only (the other agent gets their platform's).
    ("complaints_api:platform-inbox-export", "GET"):           "401 403 403 200 200 200 200 200 401 403 403",
    ("complaints_api:platform-statistics", "GET"):             "401 403 403 200 200 200 200 200 401 403 403",
    ("complaints_api:dossier-download", "GET"):                "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:bundle-download", "GET"):                 "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:dossier-export-status", "GET"):           "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:dossier-export-download", "GET"):         "401 200 404 200 200 404 200 404 401 200 200",
    # Public registry: open to all; a revoked key is a bad credential and is refused even here.
    ("complaints_api:verify", "POST"):                         "200 200 200 200 200 200 200 200 200 200 200",
    ("regulation_api:registry-list", "GET"):                   "200 200 200 200 200 200 200 200 401 200 200",
    ("regulation_api:registry-detail", "GET"):                 "200 200 200 200 200 200 200 200 401 200 200",
    # The rulebook is public law: open to all, like the registry.
    ("complaints_api:rulebook", "GET"):                        "200 200 200 200 200 200 200 200 401 200 200",
    # Penalties: platform staff see their own, regulators all; consumers are refused (403) —
    # decisions are public only through the registry.
    ("regulation_api:penalty-list", "GET"): "401 403 403 200 200 200 200 200 401 200 200",
    ("regulation_api:penalty-list", "POST"): "401 403 403 403 403 403 403 403 401 201 201",
    ("regulation_api:penalty-detail", "GET"): "401 403 403 200 200 404 200 404 401 200 200",
    ("regulation_api:penalty-notice", "GET"): "401 403 403 200 200 404 200 404 401 200 200",
    # Webhooks: managers only, like the workspace pages. A key is refused although it acts as an agent: a leaked
    # key must not redirect the platform's signed events (another platform's id: the workspace check below).
    ("platforms_api:webhook-list", "GET"):                    "401 403 403 403 200 403 403 403 401 403 403",
    ("platforms_api:webhook-list", "POST"):                   "401 403 403 403 201 403 403 403 401 403 403",
    ("platforms_api:webhook-deactivate", "POST"):             "401 403 403 403 200 403 403 403 401 403 403",
    ("complaints_api:webhook-test", "POST"):                   "401 403 403 403 202 403 403 403 401 403 403",
    ("complaints_api:webhook-deliveries", "GET"):              "401 403 403 403 200 403 403 403 401 403 403",
    ("regulation_api:stats-platforms", "GET"):                     "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:stats-operators", "GET"):                     "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:stats-repeat-offenders", "GET"):              "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:stats-trend", "GET"):                         "401 403 403 403 403 403 403 403 401 200 200",
    # Jurisdiction moves: regulators only. Without a body the answer is 400 (which office, why) before any
    # lookup; the office dimension with real bodies is in test_office_scope.py.
    ("regulation_api:complaint-transfer", "POST"):                 "401 403 403 403 403 403 403 403 401 400 400",
    ("regulation_api:complaint-take-over", "POST"):                "401 403 403 403 403 403 403 403 401 400 400",
    ("regulation_api:complaint-jurisdiction-dispute", "POST"):     "401 403 403 403 403 403 403 403 401 400 400",
    ("regulation_api:complaint-designate", "POST"):                "401 403 403 403 403 403 403 403 401 400 400",
    ("regulation_api:stats-satisfaction", "GET"):                  "401 403 403 403 403 403 403 403 401 200 200",
    # Profit-seeking signals (Order 121 Art. 17) are for regulators only.
    ("regulation_api:regulator-complaint-signals", "GET"):         "401 403 403 403 403 403 403 403 401 200 200",
    # The follow-up survey (Art. 26) exists only for the consumer who filed the complaint: 404 for everyone else.
    ("complaints_api:complaint-survey", "GET"):                "401 200 404 404 404 404 404 404 401 404 404",
    ("complaints_api:complaint-survey", "POST"):               "401 200 404 404 404 404 404 404 401 404 404",
    # --- web pages: API keys are not a browser session, so their columns read like anonymous ---------------
    # Auth pages: a signed-in user is sent on from login / register (302 to home).
    ("portal:home", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    # Probes and Prometheus: no login, the same answer for every role (/metrics decides by the caller's address
    # or its bearer token, never by who is signed in; the test client calls from 127.0.0.1, which may read it).
    ("healthz", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    ("readyz", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    ("metrics", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    ("portal:login", "GET"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:login", "POST"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:login", "PUT"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:logout", "POST"): "302 302 302 302 302 302 302 302 302 302 302",
    ("portal:register", "GET"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:register", "POST"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:register", "PUT"): "200 302 302 302 302 302 200 200 200 302 302",
    ("portal:password_change", "GET"): "log 200 200 200 200 200 log log log 200 200",
    ("portal:password_change", "POST"): "log 200 200 200 200 200 log log log 200 200",
    ("portal:password_change", "PUT"): "log 200 200 200 200 200 log log log 200 200",
    ("portal:password_change_done", "GET"): "log 200 200 200 200 200 log log log 200 200",
    ("portal:password_reset", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    ("portal:password_reset", "POST"): "200 200 200 200 200 200 200 200 200 200 200",
    ("portal:password_reset", "PUT"): "200 200 200 200 200 200 200 200 200 200 200",
    ("portal:password_reset_done", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    # Reset link of the owner: valid (302 to the set-password form) until the owner logs in again, which
    # invalidates it (200: "link no longer valid").
    ("portal:password_reset_confirm", "GET"): "302 200 302 302 302 302 302 302 302 302 302",
    ("portal:password_reset_confirm", "POST"): "302 200 302 302 302 302 302 302 302 302 302",
    ("portal:password_reset_confirm", "PUT"): "302 200 302 302 302 302 302 302 302 302 302",
    ("portal:password_reset_complete", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    # Staff and regulators are sent on to their own lists (302 to the inbox / dashboard).
    ("complaints:complaint-list", "GET"): "log 200 200 302 302 302 log log log 302 302",
    ("complaints:complaint-new", "GET"): "log 200 200 403 403 403 log log log 403 403",
    ("complaints:complaint-new", "POST"): "log 200 200 403 403 403 log log log 403 403",
    ("complaints:complaint-payment-not-taken", "GET"): "200 200 200 200 200 200 200 200 200 200 200",
    ("complaints:complaint-detail", "GET"): "log 200 404 200 200 404 log log log 200 200",
    # Consumer actions redirect back to the detail page (302) with the outcome as a message.
    ("complaints:complaint-evidence-add", "POST"): "log 302 404 302 302 404 log log log 302 302",
    ("complaints:complaint-withdraw", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-accept", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-dispute", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-escalate", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-supply-info", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-publication", "POST"): "log 302 404 403 403 404 log log log 403 403",
    ("complaints:complaint-evidence-download", "GET"): "log 200 404 200 200 404 log log log 200 200",
    ("complaints:complaint-evidence-thumbnail", "GET"): "log 200 404 200 200 404 log log log 200 200",
    # Platform pages: consumers and regulators are refused by role (403) before any lookup, so an id
    # cannot be probed; another platform's complaint is a 404.
    ("complaints:inbox-list", "GET"): "log 403 403 200 200 200 log log log 403 403",
    ("complaints:inbox-export", "GET"): "log 403 403 200 200 200 log log log 403 403",
    ("complaints:inbox-assign", "POST"): "log 403 403 302 302 302 log log log 403 403",
    ("complaints:respond-complaint", "GET"): "log 403 403 200 200 404 log log log 403 403",
    ("complaints:respond-complaint", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:respond-evidence", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:complaint-message-post", "POST"): "log 302 404 302 302 404 log log log 302 302",
    ("complaints:respond-message", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:respond-request-info", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:respond-note", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:respond-assign", "POST"): "log 403 403 302 302 404 log log log 403 403",
    ("complaints:dossier-download", "GET"): "log 200 404 200 200 404 log log log 200 200",
    # Downloads and dossiers are GET-only (require_GET).
    ("complaints:dossier-download", "POST"):                   "405 405 405 405 405 405 405 405 405 405 405",
    ("complaints:bundle-download", "GET"):                     "log 200 404 200 200 404 log log log 200 200",
    ("complaints:bundle-download", "POST"):                    "405 405 405 405 405 405 405 405 405 405 405",
    ("complaints:dossier-status", "GET"):                      "log 200 404 200 200 404 log log log 200 200",
    ("complaints:dossier-status", "POST"):                     "405 405 405 405 405 405 405 405 405 405 405",
    ("complaints:dossier-status-json", "GET"):                 "log 200 404 200 200 404 log log log 200 200",
    ("complaints:dossier-status-json", "POST"):                "405 405 405 405 405 405 405 405 405 405 405",
    ("complaints:dossier-export-download", "GET"):             "log 200 404 200 200 404 log log log 200 200",
    ("complaints:dossier-export-download", "POST"):            "405 405 405 405 405 405 405 405 405 405 405",
    ("regulation:registry-list", "GET"):                       "200 200 200 200 200 200 200 200 200 200 200",
    ("regulation:registry-detail", "GET"):                     "200 200 200 200 200 200 200 200 200 200 200",
    # The public check: anyone, without an account (an API key or a session is simply not read by the API).
    ("complaints:verify", "GET"):                              "200 200 200 200 200 200 200 200 200 200 200",
    ("complaints:verify", "POST"):                             "200 200 200 200 200 200 200 200 200 200 200",
    # Workspace: managers only, agents of any platform 403 (managers acting on another platform's
    # objects: test_manager_cannot_reach_another_platforms_workspace_objects).
    ("complaints:workspace-home", "GET"):                      "log 403 403 200 200 200 log log log 403 403",
    ("complaints:workspace-statistics", "GET"):                "log 403 403 200 200 200 log log log 403 403",
    ("complaints:workspace-statistics-export", "GET"):         "log 403 403 200 200 200 log log log 403 403",
    ("platforms:workspace-staff-invite", "GET"):              "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-staff-invite", "POST"):             "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-staff-deactivate", "POST"):         "log 403 403 403 302 403 log log log 403 403",
    ("platforms:workspace-api-keys", "GET"):                  "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-api-keys", "POST"):                 "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-api-key-revoke", "POST"):           "log 403 403 403 302 403 log log log 403 403",
    ("platforms:workspace-webhooks", "GET"):                  "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-webhooks", "POST"):                 "log 403 403 403 200 403 log log log 403 403",
    ("platforms:workspace-webhook-deactivate", "POST"):       "log 403 403 403 302 403 log log log 403 403",
    ("complaints:workspace-webhook-test", "POST"):             "log 403 403 403 302 403 log log log 403 403",
    ("complaints:workspace-webhook-deliveries", "GET"):        "log 403 403 403 200 403 log log log 403 403",
    ("regulation:penalty-list", "GET"):                        "log 403 403 200 200 200 log log log 200 200",
    ("regulation:penalty-new", "GET"):                         "log 403 403 403 403 403 log log log 200 200",
    ("regulation:penalty-new", "POST"):                        "log 403 403 403 403 403 log log log 200 200",
    ("regulation:penalty-new", "PUT"):                         "log 403 403 403 403 403 log log log 200 200",
    ("regulation:penalty-detail", "GET"):                      "log 403 403 200 200 404 log log log 200 200",
    ("regulation:penalty-notice", "GET"):                      "log 403 403 200 200 404 log log log 200 200",
    # Notifications: each account reads and marks only its own (another's is 404); an API key has none (403).
    ("portal_api:notifications", "GET"):                       "401 200 200 200 200 200 403 403 401 200 200",
    ("portal_api:notification-read", "POST"):                  "401 200 404 404 404 404 403 403 401 404 404",
    ("portal_api:notifications-read-all", "POST"):             "401 200 200 200 200 200 403 403 401 200 200",
    ("portal_api:notification-preferences", "GET"):            "401 200 200 200 200 200 403 403 401 200 200",
    ("portal_api:notification-preferences", "PUT"):            "401 200 200 200 200 200 403 403 401 200 200",
    ("portal:notifications", "GET"):                           "log 200 200 200 200 200 log log log 200 200",
    ("portal:notification-open", "POST"):                      "log 302 404 404 404 404 log log log 404 404",
    ("portal:notifications-read-all", "POST"):                 "log 302 302 302 302 302 log log log 302 302",
    ("portal:notification-preferences", "GET"):                "log 200 200 200 200 200 log log log 200 200",
    ("portal:notification-preferences", "POST"):               "log 200 200 200 200 200 log log log 200 200",
    ("portal:notification-preferences", "PUT"):                "log 200 200 200 200 200 log log log 200 200",
    # The regulator's worklist and the office's monthly report (Order 121 Art. 38): regulators only.
    ("regulation:worklist", "GET"):                            "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-monthly", "GET"):                   "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-monthly-pdf", "GET"):               "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-home", "GET"):                      "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-scorecard", "GET"):                 "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-export-platforms", "GET"):          "log 403 403 403 403 403 log log log 200 200",
    ("regulation:dashboard-export-repeat-offenders", "GET"):   "log 403 403 403 403 403 log log log 200 200",
    ("regulation:complaint-signals", "GET"):                   "log 403 403 403 403 403 log log log 200 200",
    ("complaints:follow-up", "GET"):                           "log 200 404 404 404 404 log log log 404 404",
    ("complaints:follow-up", "POST"):                          "log 302 404 404 404 404 log log log 404 404",
    # The case desk: regulators only, refused by role (403) before any lookup. Complaint A awaits its platform, so
    # forwarding it (only a triaged complaint may be forwarded) is an illegal move (409) even for a regulator;
    # every other move first brings it to the status it needs (STATE_BEFORE).
    ("regulation_api:desk-queue", "GET"):                      "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-forward", "POST"):                   "401 403 403 403 403 403 403 403 401 409 409",
    ("regulation_api:desk-accept", "POST"):                    "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-refuse", "POST"):                    "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-request-identity", "POST"):          "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-mediation-consent", "POST"):         "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-testing-start", "POST"):             "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-testing-end", "POST"):               "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-agreement", "POST"):                 "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-terminate", "POST"):                 "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-refer-police", "POST"):              "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:desk-close", "POST"):                     "401 403 403 403 403 403 403 403 401 200 200",
    # Notices: the consumer reads all of theirs, the platform those addressed to it (complaint A's acceptance
    # notice is), regulators all; anyone else's is a 404.
    ("regulation_api:notice-list", "GET"):                     "401 200 200 200 200 200 200 200 401 200 200",
    ("regulation_api:notice-pdf", "GET"):                      "401 200 404 200 200 404 200 404 401 200 200",
    ("regulation:notice-pdf", "GET"):                          "log 200 404 200 200 404 log log log 200 200",
    # Unreachable-platform alerts: regulators only, in their office scope.
    ("regulation_api:regulator-alert-list", "GET"):            "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:regulator-alert-confirm", "POST"):        "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:regulator-alert-dismiss", "POST"):        "401 403 403 403 403 403 403 403 401 200 200",
    # Joint complaints (Order 121 Art. 12). Joint A: the owner's second complaint and a companion's, the owner
    # its representative, a settlement proposal waiting for consent. Consumers' acts are refused to other roles
    # by role (403) before any lookup; a joint complaint the caller is no member of is a 404.
    ("complaints_api:joint-list", "GET"):                      "401 200 200 200 200 200 200 200 401 200 200",
    ("complaints_api:joint-list", "POST"):                     "401 201 400 403 403 403 403 403 401 403 403",
    # Another consumer names complaint A, which is not theirs: a field message, never the complaint.
    ("complaints_api:joint-join", "POST"):                     "401 201 400 403 403 403 403 403 401 403 403",
    ("complaints_api:joint-detail", "GET"):                    "401 200 404 200 200 404 200 404 401 200 200",
    ("complaints_api:joint-leave", "POST"):                    "401 204 404 403 403 403 403 403 401 403 403",
    ("complaints_api:joint-representatives", "POST"):          "401 200 404 403 403 403 403 403 401 403 403",
    ("complaints_api:joint-act", "POST"):                      "401 200 404 403 403 403 403 403 401 403 403",
    # A proposal already waits for the members' consent: a second one is 409.
    ("complaints_api:joint-propose", "POST"):                  "401 409 404 403 403 403 403 403 401 403 403",
    ("complaints_api:joint-consent", "POST"):                  "401 200 404 403 403 403 403 403 401 403 403",
    # The companion has not consented: concluding the settlement is refused (409, Art. 12).
    ("complaints_api:joint-adopt", "POST"):                    "401 409 404 403 403 403 403 403 401 403 403",
    ("complaints_api:joint-answer", "POST"):                   "401 403 403 201 201 404 201 404 401 403 403",
    ("regulation_api:regulator-joint-list", "GET"):            "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:regulator-joint-detail", "GET"):          "401 403 403 403 403 403 403 403 401 200 200",
    ("regulation_api:regulator-joint-refunds", "POST"):        "401 403 403 403 403 403 403 403 401 201 201",
    ("regulation_api:regulator-joint-decide", "POST"):         "401 403 403 403 403 403 403 403 401 200 200",
    ("complaints:joint-new", "GET"):                           "log 200 404 403 403 403 log log log 403 403",
    ("complaints:joint-new", "POST"):                          "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-join", "GET"):                          "log 200 200 403 403 403 log log log 403 403",
    ("complaints:joint-join", "POST"):                         "log 302 400 403 403 403 log log log 403 403",
    ("complaints:joint-detail", "GET"):                        "log 200 404 200 200 404 log log log 200 200",
    ("complaints:joint-elect", "POST"):                        "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-act", "POST"):                          "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-propose", "POST"):                      "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-leave", "POST"):                        "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-consent", "POST"):                      "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-adopt", "POST"):                        "log 302 404 403 403 403 log log log 403 403",
    ("complaints:joint-inbox", "GET"):                         "log 403 403 200 200 200 log log log 403 403",
    ("complaints:joint-answer", "GET"):                        "log 403 403 200 200 404 log log log 403 403",
    ("complaints:joint-answer", "POST"):                       "log 403 403 302 302 404 log log log 403 403",
    # Chargeback packs: the consumer who filed and regulators in scope; for the platform the pack does not exist.
    ("complaints:chargeback-request", "POST"):                 "log 302 404 404 404 404 log log log 302 302",
    ("complaints:chargeback-status", "GET"):                   "log 200 404 404 404 404 log log log 200 200",
    ("complaints:chargeback-status-json", "GET"):              "log 200 404 404 404 404 log log log 200 200",
    ("complaints:chargeback-download", "GET"):                 "log 200 404 404 404 404 log log log 200 200",
    ("complaints_api:chargeback-request", "POST"):             "401 202 404 404 404 404 404 404 401 202 202",
    ("complaints_api:chargeback-status", "GET"):               "401 200 404 404 404 404 404 404 401 200 200",
    ("complaints_api:chargeback-download", "GET"):             "401 200 404 404 404 404 404 404 401 200 200",
    # The per-channel manifests of a platform: regulators only (rows limited to their jurisdiction).
    ("regulation:chargeback-manifests", "GET"):                "log 403 403 403 403 403 log log log 200 200",
    ("regulation:chargeback-manifest-csv", "GET"):             "log 403 403 403 403 403 log log log 200 200",
    # Open data: public, like the registry.
    ("regulation:open-data-file", "GET"):                      "200 200 200 200 200 200 200 200 200 200 200",
    ("regulation_api:open-complaints", "GET"):                 "200 200 200 200 200 200 200 200 401 200 200",
}

# Which object each URL keyword names, when it is not complaint A.
ROUTE_OBJECTS: dict[str, dict[str, str]] = {
    "complaints:complaint-evidence-download": {"pk": "evidence"},
    "complaints:complaint-evidence-thumbnail": {"pk": "evidence"},
    "complaints_api:evidence-download": {"id": "evidence"},
    "regulation:penalty-detail": {"pk": "penalty"},
    "regulation:penalty-notice": {"pk": "penalty"},
    "regulation_api:penalty-detail": {"pk": "penalty"},
    "regulation_api:penalty-notice": {"pk": "penalty"},
    "regulation:notice-pdf": {"pk": "notice"},
    "regulation_api:notice-pdf": {"pk": "notice"},
    "platforms:workspace-staff-deactivate": {"pk": "colleague"},
    "platforms:workspace-api-key-revoke": {"pk": "api_key_row"},
    "platforms:workspace-webhook-deactivate": {"pk": "webhook"},
    "complaints:workspace-webhook-test": {"pk": "webhook"},
    "complaints:workspace-webhook-deliveries": {"pk": "webhook"},
    "platforms_api:webhook-deactivate": {"pk": "webhook"},
    "complaints_api:webhook-test": {"pk": "webhook"},
    "complaints_api:webhook-deliveries": {"pk": "webhook"},
    "regulation:registry-detail": {"slug": "platform_slug"},
    "regulation_api:regulator-alert-confirm": {"id": "alert"},
    "regulation_api:regulator-alert-dismiss": {"id": "alert"},
    "regulation_api:registry-detail": {"slug": "platform_slug"},
    "portal:password_reset_confirm": {"uidb64": "reset_uid", "token": "reset_token"},
    "complaints_api:joint-detail": {"id": "joint"},
    "complaints_api:joint-leave": {"id": "joint"},
    "complaints_api:joint-representatives": {"id": "joint"},
    "complaints_api:joint-act": {"id": "joint"},
    "complaints_api:joint-propose": {"id": "joint"},
    "complaints_api:joint-answer": {"id": "joint"},
    "complaints_api:joint-consent": {"id": "proposal"},
    "complaints_api:joint-adopt": {"id": "proposal"},
    "regulation_api:regulator-joint-detail": {"id": "joint"},
    "regulation_api:regulator-joint-refunds": {"id": "joint"},
    "regulation_api:regulator-joint-decide": {"id": "joint"},
    "complaints:joint-detail": {"pk": "joint"},
    "complaints:joint-elect": {"pk": "joint"},
    "complaints:joint-act": {"pk": "joint"},
    "complaints:joint-propose": {"pk": "joint"},
    "complaints:joint-leave": {"pk": "joint"},
    "complaints:joint-answer": {"pk": "joint"},
    "complaints:joint-consent": {"pk": "proposal"},
    "complaints:joint-adopt": {"pk": "proposal"},
    "complaints:chargeback-status": {"pack_id": "pack"},
    "complaints:chargeback-status-json": {"pack_id": "pack"},
    "complaints:chargeback-download": {"pack_id": "pack"},
    "complaints_api:chargeback-status": {"pack_id": "pack"},
    "complaints_api:chargeback-download": {"pack_id": "pack"},
    "regulation:chargeback-manifests": {"pk": "platform"},
    "regulation:chargeback-manifest-csv": {"pk": "platform"},
    "portal:notification-open": {"pk": "notification"},
    "portal_api:notification-read": {"pk": "notification"},
}


# --- the world --------------------------------------------------------------------------------------------


@dataclass
class World:
    """Two tenants: complaint A (owner vs platform A) and complaint B (other consumer vs platform B)."""

    users: dict[str, User | None]
    raw_keys: dict[str, str]
    objects: dict[str, object]
    other_objects: dict[str, object]
    # Strings that must never appear in a 2xx answer to the role (data outside its scope).
    forbidden: dict[str, list[str]] = field(default_factory=dict)


# Text shorter than this is too common to mean anything when found in a page ("A-1", "zh-hans").
MIN_SECRET_LENGTH = 6


def text_values(instance) -> set[str]:
    """Every free-text value stored on a model instance: its char, text, e-mail and URL fields (choices,
    relations and hashes of secrets aside — those never reach a page anyway)."""
    values = set()
    if instance is None:
        return values
    for model_field in instance._meta.concrete_fields:
        if model_field.choices or model_field.is_relation or not isinstance(model_field, (CharField, TextField)):
            continue
        value = model_field.value_from_object(instance)
        if isinstance(value, str) and len(value.strip()) >= MIN_SECRET_LENGTH:
            values.add(value.strip())
    return values


def tenant_secrets(instances: list, *, others: list, public: list) -> list[str]:
    """The private text of one tenant's objects, found by walking their fields: what they hold and neither
    the other tenant's objects (factory defaults both share, such as a product name) nor public objects
    (a platform's registered name, a penalty decision) hold too."""
    mine = set().union(*(text_values(instance) for instance in instances))
    shared = set().union(*(text_values(instance) for instance in [*others, *public])) if others or public else set()
    public_text = " ".join(shared)
    return sorted(value for value in mine - shared if value not in public_text)


def build_world() -> World:
    platform_a, platform_b = PlatformFactory(), PlatformFactory()
    owner = ConsumerFactory(email=f"owner-{uuid.uuid4().hex[:6]}@example.cn", phone="13800138001")
    other_consumer = ConsumerFactory(email=f"other-{uuid.uuid4().hex[:6]}@example.cn", phone="13900139002")
    agent = StaffFactory(platform=platform_a)
    colleague = StaffFactory(platform=platform_a)
    manager = ManagerFactory(platform=platform_a)
    other_agent = StaffFactory(platform=platform_b)
    regulator = RegulatorFactory()
    from portal.roles import make_regulator

    make_regulator(regulator)
    superuser = User.objects.create_superuser("root-operator", "root@example.cn", "root-pass-2026-x")

    complaint_a = file_complaint(
        owner, platform_a, order_number="DD-A-0001", payment_reference="2026112522001400000000000A01",
        description=f"付款后未收到卡密（甲 {uuid.uuid4().hex[:8]}）",
    )  # fmt: skip
    complaint_b = file_complaint(
        other_consumer, platform_b, order_number="DD-B-0002", payment_reference="2026112522001400000000000B02",
        description=f"付款后未收到卡密（乙 {uuid.uuid4().hex[:8]}）",
    )  # fmt: skip
    evidence_a = add_evidence(complaint_a, owner, image_upload("a.png"))[0]
    evidence_b = add_evidence(complaint_b, other_consumer, image_upload("b.png"))[0]
    note_a = complaint_add_note(complaint_id=complaint_a.pk, by=agent, text=f"km-note-A-{uuid.uuid4().hex}")
    note_b = complaint_add_note(complaint_id=complaint_b.pk, by=other_agent, text=f"km-note-B-{uuid.uuid4().hex}")
    # Before the webhooks exist: filing the joint complaints' members queues no delivery to them.
    joint_a, proposal_a, joint_member_a = _joint_of_two(owner, platform_a)
    joint_b, proposal_b, _member_b = _joint_of_two(other_consumer, platform_b)
    penalty_a = penalty_issue(
        by=regulator,
        platform=platform_a,
        kind=PenaltyKind.WARNING,
        legal_basis="《电子商务法》第七十七条",
        facts="逾期未发货",
        decision="警告",
        complaint_ids=[complaint_a.pk],
    )
    penalty_b = penalty_issue(
        by=regulator,
        platform=platform_b,
        kind=PenaltyKind.WARNING,
        legal_basis="《电子商务法》第七十七条",
        facts="逾期未发货",
        decision="警告",
        complaint_ids=[complaint_b.pk],
    )
    # Complaint A stays with its platform; its acceptance notice (addressed to both parties) is written directly.
    notice_a = notice_decide(complaint_a, kind=NoticeKind.ACCEPTANCE, by=regulator, at=timezone.now())
    notice_b = notice_decide(complaint_b, kind=NoticeKind.ACCEPTANCE, by=regulator, at=timezone.now())
    # Unreachable-platform alerts of the national office (the regulator's), one per platform.
    alert_a, alert_b = (
        VanishingAlert.objects.create(
            platform=p, office=national_office(), opened_at=timezone.now(), refreshed_at=timezone.now()
        )
        for p in (platform_a, platform_b)
    )
    export_a = DossierExport.objects.create(
        complaint=complaint_a,
        requested_by=owner,
        status=DossierExportStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    export_a.file.save("dossier.pdf", ContentFile(b"%PDF-1.4\n% dossier\n%%EOF\n"), save=True)
    export_b = DossierExport.objects.create(
        complaint=complaint_b,
        requested_by=other_consumer,
        status=DossierExportStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    export_b.file.save("dossier.pdf", ContentFile(b"%PDF-1.4\n% dossier\n%%EOF\n"), save=True)
    pack_a = ChargebackPack.objects.create(
        complaint=complaint_a, requested_by=owner, status=DossierExportStatus.DONE, progress=100,
        sha256="a" * 64, finished_at=timezone.now(),
    )  # fmt: skip
    pack_a.file.save("chargeback.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=True)
    pack_b = ChargebackPack.objects.create(
        complaint=complaint_b, requested_by=other_consumer, status=DossierExportStatus.DONE, progress=100,
        sha256="b" * 64, finished_at=timezone.now(),
    )  # fmt: skip
    pack_b.file.save("chargeback.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=True)
    open_data_export()
    notification_a, notification_b = (
        Notification.objects.create(
            recipient=user, kind=NotificationKind.COMPLAINT_CLOSED, complaint_id=complaint.pk, link="/complaints/"
        )
        for user, complaint in ((owner, complaint_a), (other_consumer, complaint_b))
    )
    webhook_a = WebhookEndpoint.objects.create(
        platform=platform_a,
        url="https://hooks.platform-a.example.cn/km",
        secret=f"km-secret-A-{uuid.uuid4().hex}",
        events=["complaint.created"],
    )
    webhook_b = WebhookEndpoint.objects.create(
        platform=platform_b,
        url="https://hooks.platform-b.example.cn/km",
        secret=f"km-secret-B-{uuid.uuid4().hex}",
        events=["complaint.created"],
    )
    raw_keys = {
        "api_key": make_api_key(platform_a),
        "other_api_key": make_api_key(platform_b),
        "revoked_api_key": make_api_key(platform_a),
    }
    ApiKey.objects.filter(prefix=raw_keys["revoked_api_key"].split("_")[1]).update(revoked_at=timezone.now())
    spare_key_a = ApiKey.objects.filter(platform=platform_a, revoked_at__isnull=True).first()
    spare_key_b = ApiKey.objects.filter(platform=platform_b).first()

    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    objects = {
        "complaint": complaint_a, "evidence": evidence_a, "note": note_a, "penalty": penalty_a,
        "notice": notice_a, "export": export_a, "webhook": webhook_a, "api_key_row": spare_key_a,
        "colleague": colleague, "alert": alert_a,
        "joint": joint_a, "proposal": proposal_a, "joint_member_complaint": joint_member_a,
        "platform_slug": platform_a.slug,
        "notification": notification_a,
        "pack": pack_a, "platform": platform_a, "channel": "alipay", "label": "latest", "fmt": "csv",
        "reset_uid": urlsafe_base64_encode(force_bytes(owner.pk)),
        "reset_token": default_token_generator.make_token(owner),
    }
    other_objects = {
        "complaint": complaint_b, "evidence": evidence_b, "note": note_b, "penalty": penalty_b,
        "notice": notice_b, "export": export_b, "webhook": webhook_b, "api_key_row": spare_key_b,
        "colleague": other_agent, "alert": alert_b,
        "joint": joint_b, "proposal": proposal_b, "joint_member_complaint": _member_b,
        "platform_slug": platform_b.slug,
        "notification": notification_b,
        "pack": pack_b, "platform": platform_b, "channel": "alipay", "label": "latest", "fmt": "csv",
        "reset_uid": objects["reset_uid"],
        "reset_token": objects["reset_token"],
    }
    users = {
        "anonymous": None,
        "owner": owner,
        "other_consumer": other_consumer,
        "agent": agent,
        "manager": manager,
        "other_agent": other_agent,
        "api_key": None,
        "other_api_key": None,
        "revoked_api_key": None,
        "regulator": regulator,
        "superuser": superuser,
    }
    # Everything each tenant holds, as model instances: the leak detector reads their field values.
    keys_a, keys_b = (list(ApiKey.objects.filter(platform=platform)) for platform in (platform_a, platform_b))
    staff_a, staff_b = [agent, colleague, manager], [other_agent]
    platform_internal_a = [note_a, webhook_a, *keys_a]
    platform_internal_b = [note_b, webhook_b, *keys_b]
    tenant_a = tenant_secrets(
        [owner, complaint_a, evidence_a, export_a, pack_a, *staff_a, *platform_internal_a],
        others=[other_consumer, complaint_b, evidence_b, export_b, pack_b, *staff_b, *platform_internal_b],
        public=[platform_a, platform_b, platform_a.operator, platform_b.operator, penalty_a, penalty_b],
    )
    tenant_b = tenant_secrets(
        [other_consumer, complaint_b, evidence_b, export_b, *staff_b, *platform_internal_b],
        others=[owner, complaint_a, evidence_a, export_a, *staff_a, *platform_internal_a],
        public=[platform_a, platform_b, platform_a.operator, platform_b.operator, penalty_a, penalty_b],
    )
    # Within a tenant, the platform's own workings (internal notes, webhooks, API keys) are not the consumer's.
    internal_a = tenant_secrets(platform_internal_a, others=[], public=[owner, complaint_a])
    internal_b = tenant_secrets(platform_internal_b, others=[], public=[other_consumer, complaint_b])
    everything = tenant_a + tenant_b
    out_of_scope = {
        "anonymous": everything,
        "revoked_api_key": everything,
        "owner": [*tenant_b, *internal_a],
        "other_consumer": [*tenant_a, *internal_b],
        "agent": tenant_b,
        "manager": tenant_b,
        "api_key": tenant_b,
        "other_agent": tenant_a,
        "other_api_key": tenant_a,
        "regulator": [],
        "superuser": [],
    }
    # A webhook's signing secret is shown once, in the answer that registers it, and never again to anyone.
    webhook_secrets = [webhook_a.secret, webhook_b.secret]
    forbidden = {role: sorted({*markers, *webhook_secrets}) for role, markers in out_of_scope.items()}
    return World(users=users, raw_keys=raw_keys, objects=objects, other_objects=other_objects, forbidden=forbidden)


def _joint_of_two(consumer, platform):
    """A joint complaint of ``consumer``'s second complaint and a companion's, ``consumer`` elected its
    representative by both, with a settlement proposal waiting for the members' consent."""
    from complaints import joint

    own = file_complaint(consumer, platform, order_number=f"DD-J-{uuid.uuid4().hex[:8]}")
    companion = ConsumerFactory()
    theirs = file_complaint(companion, platform, order_number=f"DD-J-{uuid.uuid4().hex[:8]}")
    joint_complaint = joint.joint_create(
        by=consumer, complaint_id=own.pk, title="卡密未发货", summary="付款后平台不发卡密。", consent=True
    )
    joint.joint_join(by=companion, join_code=joint_complaint.join_code, complaint_id=theirs.pk, consent=True)
    representative = joint_complaint.memberships.get(complaint=own).pk
    for voter in (consumer, companion):
        joint.joint_choose_representatives(by=voter, joint_id=joint_complaint.pk, candidate_ids=[representative])
    proposal = joint.joint_propose(
        by=consumer, joint_id=joint_complaint.pk, kind="settlement", text="平台退还每人全部货款。"
    )
    return joint_complaint, proposal, own


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once per module inside a transaction; each test runs in a savepoint rolled back after it."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


STUB_PDF = b"%PDF-1.4\n% stub\n%%EOF\n"


@pytest.fixture(autouse=True)
def stub_pdf_rendering(monkeypatch):
    """Who may download a PDF is what this module checks; rendering one takes seconds and is tested in
    tests/complaints/test_dossier.py, tests/platforms/test_penalties.py and test_hostile_input.py."""
    monkeypatch.setattr("complaints.dossier.render_dossier", lambda complaint, **kwargs: STUB_PDF)
    for module in ("regulation.views_penalties", "regulation.api.penalties"):
        monkeypatch.setattr(f"{module}.penalty_notice_pdf", lambda penalty: STUB_PDF)
    monkeypatch.setattr("regulation.notices.notice_render", lambda notice: STUB_PDF)


# --- routes -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: tuple[str, ...]  # empty when the view is a function (its methods are in EXPECTED only)

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def view_methods(callback) -> tuple[str, ...]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ()
    names = [name for name in view_class.http_method_names if name not in {"options", "head"}]
    return tuple(sorted(name.upper() for name in names if hasattr(view_class, name)))


def walk_patterns(patterns, prefix: str = "", namespace: str = ""):
    """(path, pattern, name as ``reverse`` takes it: with its namespaces) of every route."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, f"{namespace}{pattern.name}" if pattern.name else None


def url_conf_routes() -> list[Route]:
    routes = []
    for path, pattern, name in walk_patterns(get_resolver().url_patterns):
        if path.startswith(SKIPPED_PREFIXES):
            continue
        routes.append(Route(name=name, pattern=path, methods=view_methods(pattern.callback)))
    return routes


def openapi_operations() -> set[tuple[str, str]]:
    """(url name, METHOD) of every operation in the OpenAPI schema, resolved through the URL conf."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = set()
    for path, path_item in schema["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda match: "slug-x" if match.group(1) == "slug" else "1", path)
        name = resolve(concrete).view_name
        operations.update((name, method.upper()) for method in path_item if method != "parameters")
    return operations


# --- requests ---------------------------------------------------------------------------------------------


def client_as(world: World, role: str, *, api: bool):
    user = world.users[role]
    if api:
        client = APIClient()
        if role in world.raw_keys:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.raw_keys[role]}")
        elif user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    if role in world.raw_keys:
        # A platform's key sent to a web page is not a login: the page must treat it as anonymous.
        client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {world.raw_keys[role]}"
    elif user is not None:
        client.force_login(user)
    return client


def url_for(world: World, name: str, *, objects: dict | None = None, missing: bool = False) -> str:
    objects = objects or world.objects
    pattern_keywords = re.findall(r"<(?:\w+:)?(\w+)>", route_pattern(name))
    kwargs = {}
    for keyword in pattern_keywords:
        source = ROUTE_OBJECTS.get(name, {}).get(keyword, "complaint" if keyword in {"pk", "id"} else keyword)
        if keyword == "export_id":
            source = "export"
        value = objects[source]
        value = getattr(value, "pk", value)
        if missing and keyword in {"pk", "id", "export_id"}:
            value = 987654
        if missing and keyword == "slug":
            value = "no-such-platform"
        kwargs[keyword] = value
    return reverse(name, kwargs=kwargs)


_ROUTE_PATTERNS: dict[str, str] = {}


def route_pattern(name: str) -> str:
    if not _ROUTE_PATTERNS:
        _ROUTE_PATTERNS.update({route.name: route.pattern for route in url_conf_routes()})
    return _ROUTE_PATTERNS[name]


def send(world: World, role: str, name: str, method: str, *, objects: dict | None = None, missing: bool = False):
    api = route_pattern(name).startswith("api/")
    client = client_as(world, role, api=api)
    url = url_for(world, name, objects=objects, missing=missing)
    body = request_body(world, name, method)
    if method == "GET":
        return client.get(url)
    if api and isinstance(body, dict) and any(hasattr(value, "read") for value in body.values()):
        return client.post(url, body, format="multipart")
    if api:
        return client.generic(method, url, data=_json(body), content_type="application/json")
    return client.generic(method, url) if method != "POST" else client.post(url, body or {})


def _json(body) -> str:
    return json.dumps(body or {}, default=str)


def request_body(world: World, name: str, method: str):
    builder = REQUEST_BODIES.get((name, method))
    return builder(world) if builder else None


def _respond_body(world: World) -> dict:
    return {
        "outcome": "refunded",
        "message": "已全额退款",
        "refund_amount": "199.00",
        "refund_reference": "RF2026112500001",
    }


def _filing_body(world: World) -> dict:
    return {
        "platform": world.objects["platform_slug"],
        "order_number": f"DD-{uuid.uuid4().hex[:10]}",
        "paid_at": (timezone.now() - timedelta(hours=3)).isoformat(),
        "amount": "88.00",
        "payment_channel": "alipay",
        "payment_reference": "2026112522001499999999999999",
        "product_name": "腾讯视频会员月卡",
        "problem": "card_key_missing",
        "platform_order_status": "awaiting_delivery",
        "description": "付款后未收到卡密，客服不回复。",
        "desired_outcome": "delivery",
    }


def _upload(name: str = "receipt.png"):
    return image_upload(name)


REQUEST_BODIES = {
    ("portal_api:notification-preferences", "PUT"): lambda world: {
        "preferences": [{"kind": "complaint_closed", "channel": "email"}]
    },
    ("regulation_api:regulator-alert-dismiss", "POST"): lambda world: {"reason": "网站可以访问，客服已答复"},
    ("portal_api:token", "POST"): lambda world: {"username": "nobody", "password": "wrong-password-x"},
    ("complaints_api:complaint-list", "POST"): _filing_body,
    ("complaints_api:complaint-evidence", "POST"): lambda world: {"file": _upload(), "kind": "order_screenshot"},
    ("complaints_api:complaint-withdraw", "POST"): lambda world: {"reason": "已自行解决"},
    ("complaints_api:complaint-accept", "POST"): lambda world: {"rating": 5},
    ("complaints_api:complaint-dispute", "POST"): lambda world: {"reason": "退款金额不对"},
    ("complaints_api:complaint-escalate", "POST"): lambda world: {"reason": "平台拖延"},
    ("complaints_api:complaint-supply-info", "POST"): lambda world: {"message": "订单截图已补充"},
    ("complaints_api:complaint-publication", "POST"): lambda world: {"consent": True},
    ("complaints_api:complaint-respond", "POST"): _respond_body,
    ("complaints_api:complaint-request-info", "POST"): lambda world: {"message": "请提供支付截图"},
    ("complaints_api:complaint-assign", "POST"): lambda world: {"assignee": world.users["agent"].username},
    ("complaints_api:verify", "POST"): lambda world: {"sha256": "0" * 64},
    ("complaints:verify", "POST"): lambda world: {"sha256": "0" * 64},
    ("complaints_api:complaint-notes", "POST"): lambda world: {"text": "已联系供货商"},
    ("complaints_api:complaint-messages", "POST"): lambda world: {"body": "请再核实一下"},
    ("complaints_api:complaint-messages-with-files", "POST"): lambda world: {"body": "截图见附件", "files": _upload()},
    ("complaints:complaint-message-post", "POST"): lambda world: {"body": "请再核实一下", "files": _upload()},
    ("complaints:respond-message", "POST"): lambda world: {"body": "已核实，正在补发"},
    ("platforms_api:webhook-list", "POST"): lambda world: {
        "url": "https://hooks.platform-a.example.cn/km-new",
        "events": ["complaint.created"],
    },
    ("regulation_api:penalty-list", "POST"): lambda world: {
        "platform": world.objects["platform_slug"],
        "kind": "warning",
        "legal_basis": "《电子商务法》",
        "facts": "逾期未发货",
        "decision": "警告",
    },
    ("complaints:complaint-evidence-add", "POST"): lambda world: {
        "evidence_files": _upload(),
        "evidence_kind": "order_screenshot",
    },
    ("complaints:respond-evidence", "POST"): lambda world: {"file": _upload(), "kind": "delivery_proof"},
    ("complaints:complaint-withdraw", "POST"): lambda world: {"reason": "已自行解决"},
    ("complaints:complaint-accept", "POST"): lambda world: {"rating": "5"},
    ("complaints:complaint-dispute", "POST"): lambda world: {"reason": "退款金额不对，差了一半"},
    ("complaints:complaint-escalate", "POST"): lambda world: {"reason": "平台拖延，请监管介入"},
    ("complaints:complaint-supply-info", "POST"): lambda world: {"message": "订单截图已补充"},
    ("complaints:complaint-publication", "POST"): lambda world: {"consent": "on"},
    ("complaints:respond-complaint", "POST"): _respond_body,
    ("complaints:respond-request-info", "POST"): lambda world: {"message": "请提供支付截图"},
    ("complaints:respond-note", "POST"): lambda world: {"text": "已联系供货商"},
    ("complaints:respond-assign", "POST"): lambda world: {"assignee": world.users["agent"].pk},
    ("complaints_api:complaint-survey", "POST"): lambda world: {"resolved": True, "rating": 4},
    ("complaints:follow-up", "POST"): lambda world: {"resolved": "yes", "rating": "4"},
    ("complaints:inbox-assign", "POST"): lambda world: {
        "assignee": world.users["agent"].pk,
        "complaints": [world.objects["complaint"].pk],
    },
    ("regulation_api:desk-forward", "POST"): lambda world: {"platform": world.other_objects["platform_slug"]},
    ("regulation_api:desk-refuse", "POST"): lambda world: {"ground": "art16_1", "reason": "不属于本局管辖"},
    ("regulation_api:desk-request-identity", "POST"): lambda world: {
        "message": "请上传身份证明", "deadline": (timezone.localdate() + timedelta(days=5)).isoformat(),
    },
    ("regulation_api:desk-mediation-consent", "POST"): lambda world: {"parties": ["consumer", "platform"]},
    ("regulation_api:desk-agreement", "POST"): lambda world: {"kind": "record", "terms": "平台当场退款"},
    ("regulation_api:desk-terminate", "POST"): lambda world: {"ground": "art23_2"},
    ("regulation_api:desk-refer-police", "POST"): lambda world: {"reason": "伪造支付凭证"},
    ("regulation_api:desk-close", "POST"): lambda world: {"finding": "upheld"},
    ("complaints_api:joint-list", "POST"): lambda world: {
        "complaint": world.objects["complaint"].pk, "title": "不发货", "summary": "付款后未收到卡密。", "consent": True,
    },
    ("complaints_api:joint-join", "POST"): lambda world: {
        "join_code": world.objects["joint"].join_code, "complaint": world.objects["complaint"].pk, "consent": True,
    },
    ("complaints_api:joint-representatives", "POST"): lambda world: {
        "candidates": [world.objects["joint"].memberships.exclude(complaint=world.objects["joint_member_complaint"])
                       .get().pk],
    },
    ("complaints_api:joint-act", "POST"): lambda world: {"message": "平台已关站，请监管部门介入。"},
    ("complaints_api:joint-propose", "POST"): lambda world: {"kind": "claim_change", "text": "改为只要求退款。"},
    ("complaints_api:joint-consent", "POST"): lambda world: {"consents": True},
    ("complaints_api:joint-answer", "POST"): _respond_body,
    ("regulation_api:regulator-joint-refunds", "POST"): lambda world: {
        "complaint": world.objects["joint_member_complaint"].pk, "amount": "10.00",
        "refunded_on": timezone.localdate().isoformat(), "channel_reference": "RF-JOINT-1",
    },
    ("regulation_api:regulator-joint-decide", "POST"): lambda world: {"accept": True, "reason": ""},
    ("complaints:joint-new", "POST"): lambda world: {
        "title": "不发货", "summary": "付款后未收到卡密。", "consent": "on",
    },
    ("complaints:joint-join", "POST"): lambda world: {
        "join_code": world.objects["joint"].join_code, "complaint": world.objects["complaint"].pk,
        "consent": "on",
    },
    ("complaints:joint-elect", "POST"): lambda world: {
        "candidates": [world.objects["joint"].memberships.exclude(complaint=world.objects["joint_member_complaint"])
                       .get().pk],
    },
    ("complaints:joint-act", "POST"): lambda world: {"message": "平台已关站，请监管部门介入。"},
    ("complaints:joint-propose", "POST"): lambda world: {"kind": "claim_change", "text": "改为只要求退款。"},
    ("complaints:joint-consent", "POST"): lambda world: {"consents": "yes"},
    ("complaints:joint-answer", "POST"): _respond_body,
}  # fmt: skip


def _answered(world: World) -> None:
    complaint_respond(
        complaint_id=world.objects["complaint"].pk,
        by=world.users["agent"],
        **{key: value for key, value in _respond_body(world).items() if key != "refund_amount"},
        refund_amount=Decimal("199.00"),
    )


def _disputed(world: World) -> None:
    _answered(world)
    complaint_dispute(complaint_id=world.objects["complaint"].pk, by=world.users["owner"], reason="退款金额不对")


def _info_requested(world: World) -> None:
    complaint_request_info(
        complaint_id=world.objects["complaint"].pk, by=world.users["agent"], message="请提供支付截图"
    )


def _surveyed(world: World) -> None:
    _answered(world)
    complaint_accept(complaint_id=world.objects["complaint"].pk, by=world.users["owner"], rating=4)
    follow_ups_request(complaint_ids=[world.objects["complaint"].pk], week="2026-W49")


def _escalated(world: World) -> None:
    _disputed(world)
    complaint_escalate(complaint_id=world.objects["complaint"].pk, by=world.users["owner"], reason="平台拖延")


def _accepted(world: World) -> None:
    _escalated(world)
    desk.complaint_accept_for_mediation(complaint_id=world.objects["complaint"].pk, by=world.users["regulator"])


def _mediated(world: World) -> None:
    _accepted(world)
    desk.complaint_record_mediation_consent(
        complaint_id=world.objects["complaint"].pk, by=world.users["regulator"], parties=["consumer", "platform"]
    )


def _testing(world: World) -> None:
    _mediated(world)
    desk.complaint_start_testing(complaint_id=world.objects["complaint"].pk, by=world.users["regulator"])


# Complaint A starts awaiting the platform's answer; these actions need it elsewhere first.
STATE_BEFORE = {
    "regulation_api:desk-accept": _escalated,
    "regulation_api:desk-refuse": _escalated,
    "regulation_api:desk-request-identity": _escalated,
    "regulation_api:desk-refer-police": _escalated,
    "regulation_api:desk-close": _escalated,
    "regulation_api:desk-mediation-consent": _accepted,
    "regulation_api:desk-testing-start": _mediated,
    "regulation_api:desk-agreement": _mediated,
    "regulation_api:desk-terminate": _mediated,
    "regulation_api:desk-testing-end": _testing,
    "complaints_api:complaint-accept": _answered,
    "complaints_api:complaint-dispute": _answered,
    "complaints:complaint-accept": _answered,
    "complaints:complaint-dispute": _answered,
    "complaints_api:complaint-escalate": _disputed,
    "complaints:complaint-escalate": _disputed,
    "complaints_api:complaint-supply-info": _info_requested,
    "complaints:complaint-supply-info": _info_requested,
    "complaints_api:complaint-survey": _surveyed,
    "complaints:follow-up": _surveyed,
}


# --- the tests --------------------------------------------------------------------------------------------

CELLS = [
    pytest.param(name, method, role, expected, id=f"{name}-{method}-{role}")
    for (name, method), row in EXPECTED.items()
    for role, expected in zip(ROLES, row.split(), strict=True)
]
LOGIN_PATH = reverse("portal:login")
TEXT_TYPES = ("text/", "application/json")


def test_every_route_has_a_written_expectation():
    routes = url_conf_routes()
    enumerated = {(route.name, method) for route in routes for method in route.methods}
    enumerated |= openapi_operations()
    written = set(EXPECTED)
    function_views = {route.name for route in routes if not route.methods}
    without_row = sorted(key for key in enumerated if key not in written)
    without_row += sorted((name, "?") for name in function_views if not any(key[0] == name for key in written))
    assert not without_row, f"routes with no written expectation in EXPECTED: {without_row}"
    route_names = {route.name for route in routes}
    stale = sorted(key for key in written if key[0] not in route_names)
    assert not stale, f"EXPECTED rows for routes that no longer exist: {stale}"


def test_every_row_has_one_answer_per_role():
    malformed = [key for key, row in EXPECTED.items() if len(row.split()) != len(ROLES)]
    assert not malformed


def response_text(response) -> str | None:
    is_download = response.get("Content-Disposition", "").startswith("attachment")
    if is_download or not response.get("Content-Type", "").startswith(TEXT_TYPES):
        return None
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


@pytest.mark.parametrize(("name", "method", "role", "expected"), CELLS)
def test_access(world, db, name, method, role, expected):
    if name in STATE_BEFORE:
        STATE_BEFORE[name](world)

    response = send(world, role, name, method)

    if expected == "log":
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(LOGIN_PATH)
    else:
        assert response.status_code == int(expected), (response.status_code, response_text(response))
        if response.status_code == 302:
            assert not response["Location"].startswith(LOGIN_PATH)
    text = response_text(response)
    if 200 <= response.status_code < 300 and text is not None:
        leaked = [marker for marker in world.forbidden[role] if marker in text]
        assert not leaked, f"{role} sees data outside its scope: {leaked}"


PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def handled_methods(callback) -> tuple[str, ...] | None:
    """A class-based view's methods: the ``http_method_names`` it implements (HEAD wherever GET is, as Django's
    View does); None for a function view, which only answering tells."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return None
    handled = {name for name in view_class.http_method_names if hasattr(view_class, name)}
    if "get" in handled and "head" in view_class.http_method_names:
        handled.add("head")
    return tuple(sorted(name.upper() for name in handled))


def answered_methods(world: World, name: str) -> tuple[str, ...]:
    """Every method the route's view answers: from the class, or by asking a function view each method as the
    superuser (anything but 405 is an answer)."""
    callback = resolve(url_for(world, name)).func
    handled = handled_methods(callback)
    if handled is not None:
        return handled
    return tuple(method for method in PROBED_METHODS if send(world, "superuser", name, method).status_code != 405)


ROUTE_NAMES = sorted(route.name for route in url_conf_routes())


@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_every_method_a_view_answers_is_expected_and_leaks_nothing(world, db, name):
    methods = answered_methods(world, name)
    unexpected = [m for m in methods if m not in {"HEAD", "OPTIONS"} and (name, m) not in EXPECTED]
    assert not unexpected, f"{name} answers {unexpected} with no row in EXPECTED: restrict the view or add one"
    for role in ROLES:
        for method in methods:
            sid = transaction.savepoint()
            response = send(world, role, name, method)
            text = response_text(response)
            transaction.savepoint_rollback(sid)
            assert response.status_code < 500, (role, method, response.status_code)
            leaked = [marker for marker in world.forbidden[role] if text is not None and marker in text]
            assert not leaked, f"{role} {method} {name} shows data outside its scope: {leaked}"
            if method == "HEAD" and ("GET" in methods):
                get_answer = send(world, role, name, "GET")
                assert response.status_code == get_answer.status_code, (role, response.status_code)
                assert b"".join(response.streaming_content if response.streaming else [response.content]) == b""


def normalised_body(response) -> str:
    """The body with what legitimately differs between two requests removed: the requested path (echoed by
    the language switcher) and the per-request CSRF token."""
    text = (response_text(response) or "").replace(response.request["PATH_INFO"], "<path>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


OUT_OF_SCOPE_CELLS = [
    cell
    for cell in CELLS
    if cell.values[3] == "404" and re.search(r"<(?:\w+:)?(?:pk|id|export_id)>", route_pattern(cell.values[0]))
]


@pytest.mark.parametrize(("name", "method", "role", "expected"), OUT_OF_SCOPE_CELLS)
def test_out_of_scope_object_answers_exactly_like_a_missing_one(world, db, name, method, role, expected):
    out_of_scope = send(world, role, name, method)
    missing = send(world, role, name, method, missing=True)

    assert (out_of_scope.status_code, missing.status_code) == (404, 404)
    assert normalised_body(out_of_scope) == normalised_body(missing)


WORKSPACE_OBJECT_ROUTES = [
    ("platforms:workspace-staff-deactivate", "POST"),
    ("platforms:workspace-api-key-revoke", "POST"),
    ("platforms:workspace-webhook-deactivate", "POST"),
    ("complaints:workspace-webhook-test", "POST"),
    ("complaints:workspace-webhook-deliveries", "GET"),
    ("platforms_api:webhook-deactivate", "POST"),
    ("complaints_api:webhook-test", "POST"),
    ("complaints_api:webhook-deliveries", "GET"),
]


@pytest.mark.parametrize(("name", "method"), WORKSPACE_OBJECT_ROUTES)
def test_manager_cannot_reach_another_platforms_workspace_objects(world, db, name, method):
    other_platforms = send(world, "manager", name, method, objects=world.other_objects)
    missing = send(world, "manager", name, method, missing=True)

    assert other_platforms.status_code == missing.status_code
    assert normalised_body(other_platforms) == normalised_body(missing)
    webhook, api_key, colleague = (world.other_objects[key] for key in ["webhook", "api_key_row", "colleague"])
    webhook.refresh_from_db()
    api_key.refresh_from_db()
    colleague.refresh_from_db()
    assert webhook.is_active
    assert api_key.revoked_at is None
    assert colleague.is_active
    assert not webhook.deliveries.exists()


@pytest.mark.parametrize("selector", ["complaints_visible_to", "evidence_visible_to", "penalties_visible_to"])
@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["no user", "anonymous"])
def test_scoped_reads_fail_closed_without_a_user(db, selector, user):
    from complaints import selectors
    from regulation import penalties

    read = getattr(selectors, selector, None) or getattr(penalties, selector)

    with pytest.raises(selectors.MissingUserContext):
        read(user)
