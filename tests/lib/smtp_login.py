# smtp_login.py: an SMTP server for tests that asks for a login (AUTH PLAIN/LOGIN over plain
# text) and keeps no mail: python3 smtp_login.py PORT USER PASSWORD; prints "ready" when it
# listens on 127.0.0.1:PORT.
import asyncio
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return '250 OK'


def main():
    port, user, password = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()

    def check(server, session, envelope, mechanism, auth_data):
        ok = getattr(auth_data, 'login', None) == user and getattr(auth_data, 'password', None) == password
        return AuthResult(success=ok, handled=False)

    c = Controller(Sink(), hostname='127.0.0.1', port=port, authenticator=check,
                   auth_require_tls=False)
    c.start()
    print('ready', flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        c.stop()


main()
