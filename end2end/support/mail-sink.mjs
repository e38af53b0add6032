// A real SMTP server process for tests: accepts every mail on --smtp-port and
// lists what it received as JSON on --http-port (GET /messages?to=address).
import http from "node:http";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const smtpPort = arg("smtp-port", 2525);
const httpPort = arg("http-port", 2580);
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
smtp.listen(smtpPort, "127.0.0.1");

http
  .createServer((req, res) => {
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
  })
  .listen(httpPort, "127.0.0.1", () => {
    console.log(`mail sink: smtp 127.0.0.1:${smtpPort}, http 127.0.0.1:${httpPort}`);
  });
