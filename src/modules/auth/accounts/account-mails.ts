import type { MailMessage } from '../../mail/mail.service';

/** Mail texts of the account flows. Links carry the token; the web app's page posts it to the API. */
export const accountMails = {
  verifyEmail(to: string, link: string, ttlSeconds: number): MailMessage {
    return {
      to,
      link,
      subject: 'Confirm your email address',
      text: [
        'Confirm the email address of your account by opening this link:',
        '',
        link,
        '',
        `The link works once, for ${describe(ttlSeconds)}. If you did not create an account, ignore this mail.`,
      ].join('\n'),
    };
  },

  resetPassword(to: string, link: string, ttlSeconds: number): MailMessage {
    return {
      to,
      link,
      subject: 'Reset your password',
      text: [
        'Someone (hopefully you) asked to reset the password of your account. Choose a new one here:',
        '',
        link,
        '',
        `The link works once, for ${describe(ttlSeconds)}. Setting a new password signs you out everywhere.`,
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      ].join('\n'),
    };
  },
};

function describe(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  return seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;
}
