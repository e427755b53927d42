-- 012: the HTML body of a customer's mail, kept as it came (converted to UTF-8) beside the
-- text Kefu shows; it is sanitised only when someone asks to see it formatted.
CREATE TABLE message_html (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    html       TEXT NOT NULL
);
