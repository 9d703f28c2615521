"""Renders the Envoy config from envoy.yaml.tmpl and the descriptor set.

Public services are those with google.api.http rules; each is routed to the
cluster of the service that owns its .proto file (builds.proto -> builds).
Internal services (no http rules) get no route, so the gateway never reaches them.
"""
from __future__ import annotations

import string
from pathlib import Path

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from services.common import config

TEMPLATE = Path(__file__).with_name("envoy.yaml.tmpl")
PACKAGE = "penumbra.v1"


def public_services(descriptor_path: Path) -> dict[str, str]:
    """Fully qualified public service name -> owning service (cluster)."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
    found = {}
    for f in fds.file:
        if f.package != PACKAGE:
            continue
        owner = Path(f.name).stem
        for svc in f.service:
            if any(m.options.HasExtension(annotations_pb2.http) for m in svc.method):
                if owner not in config.SERVICE_PORTS:
                    raise ValueError(f"{f.name}: public service {svc.name} in a file no service owns")
                found[f"{PACKAGE}.{svc.name}"] = owner
    return found


def _cluster(name: str, addr: str) -> str:
    host, port = addr.rsplit(":", 1)
    return f"""  - name: {name}
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: {{http2_protocol_options: {{}}}}
    load_assignment:
      cluster_name: {name}
      endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: {host}, port_value: {port}}}}}}}}}]}}]"""


def render(settings: config.Settings, descriptor_path: Path, events_ws_port: int) -> str:
    services = public_services(descriptor_path)
    token_header = ("                request_headers_to_add:\n"
                    "                - {header: {key: x-penumbra-internal-token, value: \"%s\"},"
                    " append_action: OVERWRITE_IF_EXISTS_OR_ADD}" % settings.internal_token)
    routes = "\n".join(
        f"              - match: {{prefix: \"/{name}/\"}}\n"
        f"                route: {{cluster: {owner}, timeout: 0s}}\n{token_header}"
        for name, owner in sorted(services.items()))
    clusters = "\n".join(_cluster(s, settings.service_addr(s))
                         for s in sorted(set(services.values()) | {"auth"}))
    return string.Template(TEMPLATE.read_text()).substitute(
        ADMIN_PORT=settings.envoy_admin_port,
        LISTEN_HOST=settings.host,
        GATEWAY_PORT=settings.gateway_port,
        INTERNAL_TOKEN=settings.internal_token,
        ROUTES=routes,
        CLUSTERS=clusters,
        SERVICES=", ".join(f'"{s}"' for s in sorted(services)),
        DESCRIPTOR=str(descriptor_path.resolve()),
        AUTHZ_BODY_BYTES=1024 * 1024,
        MAX_BODY_BYTES=64 * 1024 * 1024,
        EVENTS_WS_HOST=settings.host,
        EVENTS_WS_PORT=events_ws_port,
    )
