"""An HTTPS scrape target that wants an OAuth 2.0 bearer token, and the token endpoint.

No real OAuth 2.0 server runs in the tests, so this is a strict fake of the client-credentials
grant: the token endpoint (plain HTTP) accepts only a form POST with grant_type
client_credentials, the expected scope and the client's credentials in a Basic header, and
counts the tokens it issues. The target (HTTPS, certificate for 127.0.0.1 and localhost signed by
a fresh CA written to <dir>/ca.pem) serves /metrics only to a bearer of an issued token.

Usage: oauth_tls_target.py <dir> <target_port> <token_port> <client_id> <client_secret> <scope>
Writes <dir>/ready once both listen; appends one line per token request to <dir>/tokens.log
and the token of each served scrape to <dir>/scrapes.log.
"""

import base64
import datetime
import http.server
import ipaddress
import os
import ssl
import sys
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

directory, target_port, token_port, client_id, client_secret, scope = sys.argv[1:7]
issued = set()
lock = threading.Lock()


def make_pki():
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ferrocol test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(directory, "server.pem"), "wb") as f:
        f.write(cert.public_bytes(pem))
    with open(os.path.join(directory, "server.key"), "wb") as f:
        f.write(
            key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Token(Quiet):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = urllib.parse.parse_qs(body)
        want = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        ok_form = (
            self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            and form.get("grant_type") == ["client_credentials"]
            and form.get("scope") == [scope]
        )
        ok_creds = self.headers.get("Authorization") == want
        with lock:
            with open(os.path.join(directory, "tokens.log"), "a") as f:
                f.write(f"form={ok_form} creds={ok_creds}\n")
            if not ok_form:
                return self.reply(400, '{"error":"invalid_request"}')
            if not ok_creds:
                return self.reply(401, '{"error":"invalid_client"}')
            token = f"tok-{len(issued) + 1}"
            issued.add(token)
        self.reply(200, f'{{"access_token":"{token}","token_type":"bearer","expires_in":3600}}')


class Target(Quiet):
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        with lock:
            ok = auth.startswith("Bearer ") and auth[len("Bearer "):] in issued
        if self.path != "/metrics" or not ok:
            return self.reply(401, "unauthorized\n", "text/plain")
        with lock:
            with open(os.path.join(directory, "scrapes.log"), "a") as f:
                f.write(auth + "\n")
        self.reply(
            200,
            "# TYPE secured_metric gauge\nsecured_metric 42\n",
            "text/plain; version=0.0.4",
        )


def main():
    make_pki()
    token = http.server.ThreadingHTTPServer(("127.0.0.1", int(token_port)), Token)
    target = http.server.ThreadingHTTPServer(("127.0.0.1", int(target_port)), Target)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(
        os.path.join(directory, "server.pem"), os.path.join(directory, "server.key")
    )
    target.socket = ctx.wrap_socket(target.socket, server_side=True)
    threading.Thread(target=token.serve_forever, daemon=True).start()
    with open(os.path.join(directory, "ready"), "w") as f:
        f.write("ok")
    target.serve_forever()


main()
