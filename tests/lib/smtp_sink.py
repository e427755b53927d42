"""smtp_sink.py: an SMTP server for tests (aiosmtpd) that keeps every mail it takes as a file,
and a reader that turns those files into JSON for the JavaScript side (tests/lib/smtp_sink.js).

Serve:  python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR [REJECT]
        (PYTHONPATH=tests/lib); a recipient containing REJECT is refused with 550.
Read:   python3 tests/lib/smtp_sink.py read DIR  -> JSON list, oldest first.
"""
import base64
import hashlib
import json
import os
import sys
import time
from email import policy
from email.parser import BytesParser


class Sink:
    def __init__(self, directory, reject=''):
        self.directory = directory
        self.reject = reject
        self.n = 0

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return '550 5.1.1 <%s>: no such user here' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = '%013d-%05d' % (int(time.time() * 1000), self.n)
        tmp = os.path.join(self.directory, name + '.tmp')
        with open(tmp, 'wb') as f:
            f.write(envelope.original_content)
        with open(os.path.join(self.directory, name + '.json'), 'w') as f:
            json.dump({'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos}, f)
        os.rename(tmp, os.path.join(self.directory, name + '.eml'))
        return '250 Message accepted for delivery'


def read(directory):
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith('.eml'):
            continue
        path = os.path.join(directory, name)
        with open(path, 'rb') as f:
            raw = f.read()
        with open(path[:-4] + '.json') as f:
            env = json.load(f)
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        headers = {}
        for k, v in msg.items():
            headers.setdefault(k.lower(), []).append(str(v))
        body = msg.get_body(preferencelist=('plain',))
        atts = []
        for part in msg.iter_attachments():
            data = part.get_payload(decode=True) or b''
            atts.append({'filename': part.get_filename(), 'content_type': part.get_content_type(),
                         'size': len(data), 'sha256': hashlib.sha256(data).hexdigest(),
                         'base64': base64.b64encode(data).decode()})
        out.append({'file': path, 'mail_from': env['mail_from'], 'rcpt_tos': env['rcpt_tos'],
                    'raw': raw.decode('utf-8', 'replace'), 'headers': headers,
                    'text': body.get_content() if body is not None else None,
                    'attachments': atts})
    return out


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'read':
        json.dump(read(sys.argv[2]), sys.stdout, ensure_ascii=False)
    else:
        sys.exit(__doc__)
