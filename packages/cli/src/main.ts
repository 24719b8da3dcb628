import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const HELP = `pepay — operate a Pepay server

Usage:
  pepay start                                   start the server (same as npm start)
  pepay migrate                                 apply database migrations
  pepay merchants create --name <name> [--email <email>] [--mainnet]
                                                create a merchant and print its first keys and dashboard token
  pepay merchants grant-mainnet <merchant_id>   allow mainnet keys for a merchant
  pepay merchants token <merchant_id>           print a fresh dashboard bearer token
  pepay devnet pay <payment_url|invoice_id> [--network base] [--token-id <id>] [--amount <decimal>]
                                                pay an invoice on the embedded devnet from a funded account

Environment: DATABASE_URL or PEPAY_DATA_DIR select the database (as for the server). With the
embedded database, stop the server before running "merchants" commands (one process owns it).
"devnet pay" talks to a running server: --url (default http://127.0.0.1:$PORT or 3000) and
--api-key (default PEPAY_API_KEY, else the demo merchant key in the data directory).
`

async function withDeps<T>(fn: (deps: import('@pepay/server/operator').OperatorDeps) => Promise<T>): Promise<T> {
  const { openOperatorDeps } = await import('@pepay/server/operator')
  const deps = await openOperatorDeps()
  try {
    return await fn(deps)
  } finally {
    await deps.close()
  }
}

function out(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`)
}

async function merchants(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub === 'create') {
    const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, email: { type: 'string' }, mainnet: { type: 'boolean' } } })
    if (!values.name) throw new Error('--name is required')
    const name = values.name
    await withDeps(async (deps) => {
      const created = await deps.onboard({ name, email: values.email ?? null, grantMainnet: values.mainnet ?? false })
      out([
        `merchant ${created.merchant.id} (${created.merchant.name}) created`,
        `  merchant API key (devnet):  ${created.merchantKey}`,
        `  commerce API key (devnet):  ${created.commerceKey}`,
        ...(created.mainnetMerchantKey ? [`  merchant API key (mainnet): ${created.mainnetMerchantKey}`] : []),
        `  dashboard token:           ${created.dashboardToken}`,
        'Keys are shown once; only their hashes are stored.',
      ])
    })
    return
  }
  if (sub === 'grant-mainnet' || sub === 'token') {
    const id = rest[0]
    if (!id || !/^\d+$/.test(id)) throw new Error('a numeric merchant id is required')
    await withDeps(async (deps) => {
      if (sub === 'grant-mainnet') {
        await deps.grantMainnet(BigInt(id))
        out([`merchant ${id} may now create and use mainnet keys`])
      } else {
        out([await deps.dashboardToken(BigInt(id))])
      }
    })
    return
  }
  throw new Error(`unknown merchants command "${sub ?? ''}"`)
}

async function devnet(args: string[]): Promise<void> {
  const [sub, target, ...rest] = args
  if (sub !== 'pay' || !target) throw new Error('usage: pepay devnet pay <payment_url|invoice_id>')
  const { values } = parseArgs({
    args: rest,
    options: { network: { type: 'string', default: 'base' }, 'token-id': { type: 'string' }, amount: { type: 'string' }, url: { type: 'string' }, 'api-key': { type: 'string' } },
  })
  const baseUrl = values.url ?? (target.startsWith('http') ? new URL(target).origin : `http://127.0.0.1:${process.env['PORT'] ?? '3000'}`)
  let apiKey = values['api-key'] ?? process.env['PEPAY_API_KEY']
  if (!apiKey) {
    const file = join(resolve(process.env['PEPAY_DATA_DIR'] ?? './.pepay'), 'demo-credentials.json')
    if (existsSync(file)) apiKey = (JSON.parse(readFileSync(file, 'utf8')) as { merchantKey?: string }).merchantKey
  }
  if (!apiKey) throw new Error('no API key: pass --api-key or set PEPAY_API_KEY')
  let invoiceId = target
  if (target.startsWith('http')) {
    const url = new URL(target)
    const session = url.searchParams.get('session')
    const signature = url.searchParams.get('signature')
    if (!session || !signature) throw new Error('the payment URL carries no session/signature')
    const details = await fetch(`${baseUrl}/api/v1/payments/session-details`, { headers: { 'x-session-token': session, 'x-signature': signature } })
    const body = (await details.json()) as { invoice_id?: string; error?: { message: string } }
    if (!details.ok || !body.invoice_id) throw new Error(`session-details failed: ${body.error?.message ?? details.status}`)
    invoiceId = body.invoice_id
  }
  const response = await fetch(`${baseUrl}/api/v1/devnet/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({
      invoice_id: invoiceId,
      network: values.network,
      ...(values['token-id'] && { token_id: Number.parseInt(values['token-id'], 10) }),
      ...(values.amount && { amount: values.amount }),
    }),
  })
  const result = (await response.json()) as { data?: Record<string, string>; error?: { code: string; message: string } }
  if (!response.ok || !result.data) throw new Error(`devnet pay failed: ${result.error?.code ?? response.status} ${result.error?.message ?? ''}`)
  const d = result.data
  out([`paid ${d['amount_units']} base units of ${d['token_symbol']} on ${d['network']} to ${d['to_address']}`, `  tx: ${d['tx_hash']}`, `  watch: ${baseUrl}/api/v1/invoices/${invoiceId}/status (x-api-key)`])
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start':
      await import('@pepay/server/bin/pepay')
      return
    case 'migrate':
      await import('@pepay/server/bin/migrate')
      return
    case 'merchants':
      return merchants(rest)
    case 'devnet':
      return devnet(rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out([HELP])
      return
    default:
      throw new Error(`unknown command "${command}"\n\n${HELP}`)
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`pepay: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
