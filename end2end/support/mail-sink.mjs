// A real SMTP server process for tests: accepts every mail on --smtp-port and
// lists what it received as JSON on --http-port (GET /messages?to=address).
// Port 0 (the default) lets the OS pick; the first line printed names both:
// "mail sink: smtp 127.0.0.1:PORT, http 127.0.0.1:PORT".
import http from "node:http";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const smtpPort = arg("smtp-port", 0);
const httpPort = arg("http-port", 0);
const messages = [];

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          from: session.envelope.mailFrom && session.envelope.mailFrom.address,
          subject: mail.subject || "",
          text: mail.text || "",
        });
        callback();
      })
      .catch(callback);
  },
});
// Listens on `port` (0: any free one); resolves to the port taken.
const listening = (listener, server, port) =>
  new Promise((resolve) => listener.listen(port, "127.0.0.1", () => resolve(server.address().port)));

const mailbox = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (url.pathname === "/messages") {
    const to = (url.searchParams.get("to") || "").toLowerCase();
    const found = to ? messages.filter((m) => m.to.includes(to)) : messages;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(found));
  } else {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("mail sink\n");
  }
});

const [smtpBound, httpBound] = await Promise.all([
  listening(smtp, smtp.server, smtpPort),
  listening(mailbox, mailbox, httpPort),
]);
console.log(`mail sink: smtp 127.0.0.1:${smtpBound}, http 127.0.0.1:${httpBound}`);
