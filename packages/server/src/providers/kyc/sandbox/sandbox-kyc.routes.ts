import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { SANDBOX_KYC_IDENTITIES, type SandboxKycProvider } from './sandbox-kyc.ts'

const RefParams = z.object({ ref: z.string().regex(/^kyc_sbx_[0-9a-f]{32}$/) }).strict()
const SubmitBody = z.object({ document_number: z.string().trim().min(1).max(64) }).strict()

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string): string {
  // self-contained: no scripts, fonts or images from anywhere
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
.badge{display:inline-block;background:#fde68a;border-radius:4px;padding:0 .4rem;font-size:.8rem}label{display:block;margin:1rem 0 .3rem}
input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit}
table{border-collapse:collapse;margin-top:1rem;font-size:.9rem}td{border:1px solid #ddd;padding:.2rem .5rem}</style></head>
<body><span class="badge">SANDBOX</span><h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

/** The sandbox provider's hosted verification page (what a vendor would host on its own domain). */
export function sandboxKycRoutes(provider: SandboxKycProvider) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))))
    })

    app.get('/ramps/sandbox/kyc/:ref', { schema: { hide: true, params: RefParams } as never }, async (request, reply) => {
      const { ref } = RefParams.parse(request.params)
      const session = await provider.findSession(ref)
      void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
      if (!session) return reply.status(404).send(page('Verification not found', '<p>This link is not valid.</p>'))
      if (session.status !== 'created') {
        return reply.send(page('Verification submitted', '<p>Your documents were received. You can close this page.</p>'))
      }
      const rows = Object.entries(SANDBOX_KYC_IDENTITIES)
        .map(([doc, outcome]) => `<tr><td>${doc}</td><td>${escapeHtml(outcome.decision.replaceAll('_', ' '))}</td></tr>`)
        .join('')
      return reply.send(
        page(
          'Verify your identity',
          `<p>Level: <strong>${escapeHtml(session.level)}</strong></p>
<form method="post" action="/ramps/sandbox/kyc/${escapeHtml(ref)}">
<label for="document_number">Identity document number</label>
<input id="document_number" name="document_number" required maxlength="64" autocomplete="off">
<button type="submit">Submit for verification</button></form>
<p>Test identities (any other number is approved):</p><table>${rows}</table>`,
        ),
      )
    })

    app.post('/ramps/sandbox/kyc/:ref', { schema: { hide: true } as never }, async (request, reply) => {
      const params = RefParams.safeParse(request.params)
      const body = SubmitBody.safeParse(request.body)
      void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
      if (!params.success) return reply.status(404).send(page('Verification not found', '<p>This link is not valid.</p>'))
      if (!body.success) return reply.status(400).send(page('Missing document number', '<p>Go back and enter a document number.</p>'))
      const result = await provider.submit(params.data.ref, body.data.document_number)
      if (result === 'not_found') return reply.status(404).send(page('Verification not found', '<p>This link is not valid.</p>'))
      return reply.send(page('Verification submitted', '<p>Your documents were received. You can close this page.</p>'))
    })
  }
}
