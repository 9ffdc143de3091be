// Outbound: mail through nodemailer's SMTP transport, configured by SMTP_URL and MAIL_FROM.
import nodemailer from 'nodemailer';
import type { MailTransport, OutgoingMail } from '../domain/notify/transports';

export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail: OutgoingMail) {
      await transporter.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
        messageId: mail.messageId,
      });
    },
    close() {
      transporter.close();
    },
  };
}
