import pino, { type Logger } from 'pino'

/** JSON logs with credentials and payer data redacted at the source. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers["x-api-key"]',
        'req.headers["x-commerce-api-key"]',
        'req.headers.authorization',
        'req.headers["user-authorization"]',
        'req.headers["x-session-token"]',
        'req.headers["x-signature"]',
        'req.headers.cookie',
        '*.api_key',
        '*.secret',
        '*.session_token',
        '*.signature',
        '*.private_key',
        '*.privateKey',
        '*.mnemonic',
        '*.account_number',
        '*.iban',
        '*.routing_number',
      ],
      censor: '[redacted]',
    },
  })
}
