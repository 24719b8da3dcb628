import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { systemClock, type Clock } from '@pepay/core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { Pepay, type CreateInvoiceParams, type CreatedInvoice } from 'pepay'
import { parseUnits } from 'viem'
import { devnetOf, payToken } from '../../helpers/chain.ts'
import { apiClient, startTestServer, type TestServer } from '../../helpers/server.ts'
import {
  browserSkipReason,
  contrastRatios,
  launchChromium,
  reportSkip,
  screenshotPath,
  watchExternalRequests,
  watchPageErrors,
} from './browser.ts'

const skip = browserSkipReason()
reportSkip('checkout page in Chromium', skip)

/** The page's polling interval without a realtime stream (packages/checkout/src/page/main.ts). */
const POLL_MS = 3000
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 375, height: 812 }

/** Real time plus an offset the suite moves forward to expire invoices without waiting. */
class OffsetClock implements Clock {
  offsetMs = 0
  now(): Date {
    return new Date(systemClock.now().getTime() + this.offsetMs)
  }
}

/** A page on another origin (another port) that embeds the checkout and receives the return URL. */
async function startMerchantSite(checkoutUrl: string): Promise<{
  server: Server
  origin: string
  visits: { path: string; headers: IncomingHttpHeaders }[]
}> {
  const visits: { path: string; headers: IncomingHttpHeaders }[] = []
  const server = createServer((request, response) => {
    visits.push({ path: request.url ?? '', headers: request.headers })
    if (request.url?.startsWith('/shop')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      response.end(`<!doctype html><html><head><title>Shop</title></head><body>
<button id="pay">Pay with crypto</button>
<script src="${checkoutUrl}/embed.js"></script>
<script>
  window.events = []
  window.received = []
  window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }))
  document.getElementById('pay').addEventListener('click', () => {
    window.modal = Pepay.open(new URLSearchParams(location.search).get('url'), {
      closeAfterPaidMs: 0,
      onStatus: (m) => window.events.push(m),
      onPaid: (m) => window.events.push(m),
      onExpired: (m) => window.events.push(m),
      onClose: () => window.events.push({ type: 'closed' }),
    })
  })
</script></body></html>`)
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>Thanks</title><h1>Thanks for your order</h1>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, visits }
}

describe('GET /pay in Chromium', { skip }, () => {
  let t: TestServer
  let browser: Browser
  let pepay: Pepay
  let site: Awaited<ReturnType<typeof startMerchantSite>>
  const clock = new OffsetClock()
  const contexts: BrowserContext[] = []

  before(async () => {
    // first: a missing browser fails the suite at once
    browser = await launchChromium()
    // two confirmations: a payment is first seen unconfirmed, so the page shows it on its way
    t = await startTestServer({ devnet: true, clock, env: { PEPAY_DEVNET_CONFIRMATIONS: '2' } })
    const merchant = await t.onboard('Acme Coffee')
    pepay = new Pepay({ baseUrl: t.url, apiKey: merchant.merchantKey, maxRetries: 0 })
    site = await startMerchantSite(t.url)
  })
  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    if (site) await new Promise((resolve) => site.server.close(resolve))
    await t?.close()
  })

  function createInvoice(params: Partial<CreateInvoiceParams> = {}): Promise<CreatedInvoice> {
    return pepay.invoices.create({
      amount_usd: 49.99,
      description: 'Starter plan · 12 months',
      ...params,
    })
  }

  async function openPage(
    url: string,
    viewport = DESKTOP,
    beforeLoad?: (page: Page) => Promise<void>,
  ): Promise<{ page: Page; external: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport })
    contexts.push(context)
    const page = await context.newPage()
    const external = watchExternalRequests(page, new URL(t.url).origin)
    const errors = watchPageErrors(page)
    await beforeLoad?.(page)
    await page.goto(url)
    return { page, external, errors }
  }

  /** Picks network and token like a payer (keyboard-free clicks) and waits for the address. */
  async function chooseToken(
    page: Page,
    network: string,
    symbol: string,
  ): Promise<{ address: string; amount: string }> {
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    if (await page.locator('#network').count()) await page.selectOption('#network', network)
    await page.getByRole('radio', { name: new RegExp(`^${symbol}\\b`) }).check()
    await page.getByTestId('continue').click()
    await page.waitForSelector('#app[data-screen="pay"] [data-testid="address"]')
    return readPayment(page)
  }

  async function readPayment(page: Page): Promise<{ address: string; amount: string }> {
    const address = (await page.getByTestId('address').textContent())?.trim() ?? ''
    const amount = (await page.getByTestId('token-amount').textContent())?.trim() ?? ''
    return { address, amount }
  }

  /** Mines the block that gives the last transfer its second (final) confirmation. */
  async function confirm(network: string): Promise<void> {
    await devnetOf(t).anvil(network).mine(1)
  }

  async function tokenOnDevnet(
    invoice: CreatedInvoice,
    network: string,
    symbol: string,
  ): Promise<{ address: string; decimals: number }> {
    const payer = apiClient(t.url, invoice.payment_session_headers)
    const tokens = await payer('GET', '/api/v1/payments/available-tokens')
    const token = (
      tokens.body as {
        network: string
        token_symbol: string
        token_address: string
        token_decimals: number
      }[]
    ).find((x) => x.network === network && x.token_symbol === symbol)
    assert.ok(token, `${symbol} on ${network} is payable`)
    return { address: token.token_address, decimals: token.token_decimals }
  }

  it('shows the merchant, description, amount and a running countdown, and loads nothing from elsewhere', async () => {
    const invoice = await createInvoice()
    const response = await fetch(invoice.payment_url)
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    const { page, external, errors } = await openPage(invoice.payment_url)
    await page.waitForSelector('#app[data-screen="select"]')
    assert.equal(await page.getByTestId('merchant-name').textContent(), 'Acme Coffee')
    assert.equal(await page.getByTestId('description').textContent(), 'Starter plan · 12 months')
    assert.equal(await page.getByTestId('amount-usd').textContent(), '$49.99')
    const first = await page.getByTestId('countdown').textContent()
    assert.match(first ?? '', /^11:59:\d\d$/)
    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="countdown"]')?.textContent !== before,
      first,
      { timeout: 3000 },
    )
    assert.ok((await page.getByRole('radio').count()) >= 2, 'the devnet tokens are offered')
    await page.screenshot({ path: screenshotPath('select-desktop'), fullPage: true })
    await chooseToken(page, 'base', 'USDC')
    // the QR code is drawn locally: an image from a data: URI
    const qr = await page.locator('.qr img').getAttribute('src')
    assert.match(qr ?? '', /^data:image\/svg\+xml;base64,/)
    await page.screenshot({ path: screenshotPath('pay-desktop'), fullPage: true })
    assert.deepEqual(external, [])
    assert.deepEqual(errors, [])
  })

  it('pays with the devnet stablecoin and shows paid without a reload, then returns to the merchant', async () => {
    const invoice = await createInvoice({
      payment_return_url: `${site.origin}/thanks`,
      payment_return_url_enabled: true,
    })
    const { page, external, errors } = await openPage(invoice.payment_url)
    const { address, amount } = await chooseToken(page, 'base', 'USDC')
    assert.equal(amount, '49.990000')
    assert.match(address, /^0x[0-9a-f]{40}$/)
    const token = await tokenOnDevnet(invoice, 'base', 'USDC')
    await page.evaluate(() => ((window as unknown as { loadMarker: number }).loadMarker = 1))
    // the realtime stream opens once the address is allocated (bounded wait: polling also works)
    await page
      .waitForSelector('#app[data-transport="ws"]', { timeout: 2000 })
      .catch(() => undefined)
    const transport = await page.locator('#app').getAttribute('data-transport')

    await payToken(t, {
      network: 'base',
      tokenAddress: token.address,
      to: address,
      amountUnits: parseUnits(amount, token.decimals),
    })
    if (transport === 'ws') {
      // one confirmation of two: the page shows the payment on its way, live
      await page.waitForSelector('[data-testid="status"][data-kind="confirming"]', {
        timeout: 5000,
      })
      assert.equal(
        await page.getByRole('status').textContent(),
        'Confirming payment: 1 of 2 confirmations.',
      )
      assert.equal(await page.locator('.qr').count(), 0, 'no second payment is invited meanwhile')
      await page.screenshot({ path: screenshotPath('confirming-desktop'), fullPage: true })
    }
    await confirm('base')
    const confirmedAt = performance.now()
    // over the realtime stream the page must show paid within 2 s; without one, within a poll
    const budgetMs = transport === 'ws' ? 2000 : POLL_MS + 2000
    await page.waitForSelector('#app[data-screen="paid"]', { timeout: budgetMs })
    const shownMs = Math.round(performance.now() - confirmedAt)
    process.stdout.write(
      `# paid shown ${shownMs} ms after the confirming block was mined (transport ${transport ?? 'poll'}, budget ${budgetMs} ms)\n`,
    )
    assert.equal(
      await page.evaluate(() => (window as unknown as { loadMarker?: number }).loadMarker),
      1,
      'the page was not reloaded',
    )
    assert.equal(await page.getByRole('status').textContent(), 'Payment received. Thank you!')
    assert.equal(await page.getByTestId('countdown').isVisible(), false)
    await page.screenshot({ path: screenshotPath('paid-desktop'), fullPage: true })

    await page.waitForURL(`${site.origin}/thanks`, { timeout: 8000 })
    const visit = site.visits.find((v) => v.path === '/thanks')
    assert.ok(visit)
    assert.equal(visit.headers.referer, undefined, 'the session URL is never sent as a referrer')
    assert.deepEqual(
      external.filter((u) => !u.startsWith(site.origin)),
      [],
    )
    assert.deepEqual(errors, [])
  })

  it('shows the remainder of a partial payment in the locked token, at the same address', async () => {
    const invoice = await createInvoice({ amount_usd: 30 })
    const { page } = await openPage(invoice.payment_url, PHONE)
    const first = await chooseToken(page, 'base', 'USDT')
    assert.equal(first.amount, '30.000000')
    const token = await tokenOnDevnet(invoice, 'base', 'USDT')

    await payToken(t, {
      network: 'base',
      tokenAddress: token.address,
      to: first.address,
      amountUnits: parseUnits('12.5', token.decimals),
    })
    await confirm('base')
    await page.waitForSelector('#app[data-status="underpaid"] [data-testid="token-amount"]', {
      timeout: POLL_MS + 5000,
    })
    const second = await readPayment(page)
    assert.equal(second.address, first.address, 'the remainder goes to the same address')
    // the amounts are the server's: the page shows what the session and a fresh quote say
    const payer = apiClient(t.url, invoice.payment_session_headers)
    const details = (await payer('GET', '/api/v1/payments/session-details')).body as {
      amount_remaining_usd: number
      locked_token_id: number
      locked_network: string
    }
    assert.equal(details.amount_remaining_usd, 17.5)
    const quote = (
      await payer('POST', '/api/v1/payments/payment-addresses', {
        body: { network: details.locked_network, tokenId: details.locked_token_id },
      })
    ).body as { estimated_token_amount: string }
    assert.equal(second.amount, quote.estimated_token_amount)
    assert.equal(
      await page.getByTestId('remaining-usd').textContent(),
      'Remaining $17.50 of $30.00',
    )
    assert.match(
      (await page.getByRole('status').textContent()) ?? '',
      /Partial payment received\. \$17\.50 is still due/,
    )
    assert.equal(
      await page.getByRole('button', { name: 'Pay with a different token' }).count(),
      0,
      'the token is locked',
    )
    await page.screenshot({ path: screenshotPath('underpaid-375'), fullPage: true })

    await payToken(t, {
      network: 'base',
      tokenAddress: token.address,
      to: second.address,
      amountUnits: parseUnits(second.amount, token.decimals),
    })
    await confirm('base')
    await page.waitForSelector('#app[data-screen="paid"]', { timeout: POLL_MS + 3000 })
  })

  it('fits a 375 px wide screen on every step without sideways scrolling', async () => {
    const invoice = await createInvoice({
      description:
        'A long description that wraps: 2 × espresso beans (1 kg), 1 × grinder, express shipping',
    })
    const { page } = await openPage(invoice.payment_url, PHONE)
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    assert.equal(await overflow(), 0)
    await page.screenshot({ path: screenshotPath('select-375'), fullPage: true })
    await chooseToken(page, 'bsc', 'USDC')
    assert.equal(await overflow(), 0)
    const box = await page.getByRole('button', { name: 'Copy address' }).boundingBox()
    assert.ok(box && box.x + box.width <= PHONE.width, 'the copy button is on screen')
    await page.screenshot({ path: screenshotPath('pay-375'), fullPage: true })

    // another token on the Solana devnet: base58 address, Solana Pay URI in the QR code
    await page.getByRole('button', { name: 'Pay with a different token' }).click()
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    await page.selectOption('#network', 'solana')
    await page.getByTestId('continue').click()
    await page.waitForSelector('#app[data-screen="pay"] [data-testid="address"]')
    const solana = await readPayment(page)
    assert.match(solana.address, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
    assert.match((await page.locator('.qr img').getAttribute('alt')) ?? '', / on Solana /)
    assert.equal(await overflow(), 0)
    await page.screenshot({ path: screenshotPath('pay-solana-375'), fullPage: true })
  })

  it('is usable by keyboard alone, with labelled controls, a live status and AA contrast', async () => {
    const invoice = await createInvoice()
    const { page } = await openPage(invoice.payment_url)
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    assert.equal(await page.getByRole('status').getAttribute('aria-live'), 'polite')
    assert.equal(await page.getByLabel('Network').count(), 1)
    assert.equal(await page.getByLabel(/E-mail for your receipt/).count(), 1)

    // Tab through: network, the token group, Continue
    const focused: string[] = []
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab')
      focused.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null
          return el?.dataset['focus'] ?? el?.id ?? el?.tagName ?? ''
        }),
      )
      if (focused.at(-1) === 'continue') break
    }
    assert.equal(focused[0], 'network')
    assert.match(focused[1] ?? '', /^token-/)
    assert.equal(focused.at(-1), 'continue')
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    )
    assert.notEqual(outline, 'none', 'focus is visible')
    // arrow keys move within the token group; Enter on Continue allocates the address
    const firstChecked = await page
      .locator('input[name="token"]:checked')
      .getAttribute('data-focus')
    assert.equal(focused[1], firstChecked, 'Tab enters the token group on the selected token')
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('ArrowDown')
    assert.notEqual(
      await page.locator('input[name="token"]:checked').getAttribute('data-focus'),
      firstChecked,
    )
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#app[data-screen="pay"] [data-testid="address"]')
    const heading = await page.evaluate(() => document.activeElement?.textContent)
    assert.equal(heading, 'Send your payment', 'focus moves to the new step')
    await page.keyboard.press('Tab')
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
      'Copy amount',
    )

    const textSelector =
      'h1, h2, p, label, legend, .label, button, a, code, .token-symbol, .token-name, .badge, .countdown'
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      const ratios = await contrastRatios(page, textSelector)
      assert.ok(ratios.length > 10, 'the check saw the page text')
      for (const { text, ratio } of ratios)
        assert.ok(ratio >= 4.5, `${scheme}: contrast of "${text}" is ${ratio}, below 4.5`)
    }
    await page.screenshot({ path: screenshotPath('pay-dark-desktop'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
    const unlabelled = await page.$$eval('input, select, button', (els) =>
      els
        .filter((el) => {
          const labels = (el as HTMLInputElement).labels
          return (
            !(labels && labels.length > 0) &&
            !el.getAttribute('aria-label') &&
            !el.getAttribute('aria-labelledby') &&
            !(el.textContent ?? '').trim()
          )
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    )
    assert.deepEqual(unlabelled, [])
  })

  it('keeps what the payer typed in the details form when the token list arrives afterwards', async () => {
    const invoice = await createInvoice({
      questions: {
        questions: [
          { id: 'company', question: 'Company name', type: 'text', validation: { required: true } },
          { id: 'po', question: 'PO number', type: 'text', validation: { required: true } },
        ],
      },
    })
    // the token list held back until the payer has typed and submitted
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const { page } = await openPage(invoice.payment_url, DESKTOP, async (p) => {
      await p.route('**/api/v1/payments/available-tokens**', async (route) => {
        await held
        await route.continue()
      })
    })
    await page.waitForSelector('#app[data-screen="details"]')
    await page.getByLabel(/Company name/).fill('Acme')
    await page.getByRole('button', { name: 'Continue' }).click()
    assert.equal(await page.getByLabel(/PO number/).getAttribute('aria-invalid'), 'true')
    const tokens = page.waitForResponse((response) => response.url().includes('/available-tokens'))
    release()
    await tokens
    // what the page renders once it has the list
    await page.waitForTimeout(200)
    assert.equal(await page.getByLabel(/Company name/).inputValue(), 'Acme')
    assert.equal(await page.getByLabel(/PO number/).getAttribute('aria-invalid'), 'true')
  })

  it("asks the merchant's required questions first, saves the answers, and quotes a volatile token with a held rate", async () => {
    const invoice = await createInvoice({
      questions: {
        questions: [
          { id: 'company', question: 'Company name', type: 'text', validation: { required: true } },
          {
            id: 'email',
            question: 'Billing e-mail',
            type: 'email',
            validation: { required: false },
          },
        ],
      },
    })
    const { page } = await openPage(invoice.payment_url)
    await page.waitForSelector('#app[data-screen="details"]')
    assert.equal(
      await page.getByRole('radio').count(),
      0,
      'no token choice before the required answers',
    )
    await page.getByRole('button', { name: 'Continue' }).click()
    assert.equal(await page.getByLabel(/Company name/).getAttribute('aria-invalid'), 'true')
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'q-0',
      'focus goes to the first field to fix',
    )
    await page.getByLabel(/Company name/).fill('Acme Roasters')
    await page.getByLabel(/Billing e-mail/).fill('Billing@Example.com')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    // the questions already ask for an e-mail: no second e-mail field
    assert.equal(await page.getByLabel(/E-mail for your receipt/).count(), 0)
    const stored = await apiClient(t.url, invoice.payment_session_headers)(
      'GET',
      '/api/v1/payments/customer-email',
    )
    assert.deepEqual(stored.body, { email: 'billing@example.com', has_email: true })

    await page.selectOption('#network', 'base')
    await page.getByRole('radio', { name: /^ETH\b/ }).check()
    await page.getByTestId('continue').click()
    await page.waitForSelector('#app[data-screen="pay"] [data-testid="address"]')
    assert.match((await page.locator('.value-wrap').first().textContent()) ?? '', /^\d+\.\d+ ETH$/)
    assert.match((await page.locator('.quote').textContent()) ?? '', /^Rate held for [45]:\d\d\.$/)
    assert.match((await page.locator('.qr img').getAttribute('alt')) ?? '', /ETH on Base/)
  })

  it('saves the receipt e-mail and says when it is not an e-mail', async () => {
    const invoice = await createInvoice()
    const { page } = await openPage(invoice.payment_url, PHONE)
    await page.waitForSelector('#app[data-screen="select"] [data-testid="continue"]')
    const field = page.getByLabel(/E-mail for your receipt/)
    await field.fill('not an e-mail')
    await page.getByRole('button', { name: 'Save' }).click()
    assert.equal(await field.getAttribute('aria-invalid'), 'true')
    assert.match((await page.locator('#email-msg').textContent()) ?? '', /valid e-mail/)
    await field.fill('payer@example.com')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForFunction(() =>
      document.querySelector('#email-msg')?.textContent?.startsWith('Saved'),
    )
    const stored = await apiClient(t.url, invoice.payment_session_headers)(
      'GET',
      '/api/v1/payments/customer-email',
    )
    assert.deepEqual(stored.body, { email: 'payer@example.com', has_email: true })
  })

  it('refuses a link with a forged signature or without credentials', async () => {
    const invoice = await createInvoice()
    const forged = new URL(invoice.payment_url)
    forged.searchParams.set('signature', `${'0'.repeat(64)}.${Date.now()}`)
    const { page } = await openPage(forged.toString())
    await page.waitForSelector('#app[data-screen="invalid"]')
    assert.equal(
      await page.getByRole('heading', { level: 2 }).textContent(),
      'This payment link is not valid',
    )
    assert.equal(await page.getByTestId('address').count(), 0)
    const bare = await openPage(`${t.url}/pay`)
    await bare.page.waitForSelector('#app[data-screen="invalid"]')
  })

  it('runs as an embedded modal: pepay:* messages to the merchant page, close, focus back', async () => {
    const invoice = await createInvoice({ amount_usd: 5 })
    const { page } = await openPage(
      `${site.origin}/shop?url=${encodeURIComponent(invoice.payment_url)}`,
    )
    await page.click('#pay')
    const frame = page.frameLocator('iframe[title="Pepay checkout"]')
    await frame.locator('#app[data-screen="select"] [data-testid="continue"]').waitFor()
    assert.equal(await page.getByRole('dialog', { name: 'Pay with Pepay' }).count(), 1)
    await frame.getByRole('radio', { name: /^USDC\b/ }).check()
    await frame.getByTestId('continue').click()
    await frame.locator('[data-testid="address"]').waitFor()
    const address = (await frame.getByTestId('address').textContent())?.trim() ?? ''
    const amount = (await frame.getByTestId('token-amount').textContent())?.trim() ?? ''
    const token = await tokenOnDevnet(invoice, 'base', 'USDC')
    await payToken(t, {
      network: 'base',
      tokenAddress: token.address,
      to: address,
      amountUnits: parseUnits(amount, token.decimals),
    })
    await confirm('base')
    await page.waitForFunction(
      () =>
        (window as unknown as { events: { type: string }[] }).events.some(
          (e) => e.type === 'pepay:paid',
        ),
      null,
      { timeout: POLL_MS + 3000 },
    )
    const events = await page.evaluate(
      () =>
        (window as unknown as { events: { type: string; invoice_id?: string; status?: string }[] })
          .events,
    )
    const paid = events.find((e) => e.type === 'pepay:paid')
    assert.equal(paid?.invoice_id, invoice.invoice_id)
    assert.ok(events.some((e) => e.type === 'pepay:status' && e.status === 'paid'))
    // in a frame the page stays put: the merchant page decides where to go
    assert.equal(await frame.locator('#app[data-screen="paid"]').count(), 1)
    await page.screenshot({ path: screenshotPath('embed-paid-desktop') })

    await frame.getByRole('button', { name: 'Close checkout' }).click()
    await page.waitForFunction(() => !document.querySelector('iframe[title="Pepay checkout"]'))
    assert.ok(
      (
        await page.evaluate(() => (window as unknown as { events: { type: string }[] }).events)
      ).some((e) => e.type === 'closed'),
    )
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'pay',
      'focus returns to the button that opened the modal',
    )

    // Escape closes the modal too
    await page.click('#pay')
    await frame.locator('#app[data-screen="paid"]').waitFor()
    await frame.locator('body').press('Escape')
    await page.waitForFunction(() => !document.querySelector('iframe[title="Pepay checkout"]'))
  })

  it('sends no message to a parent other than the one named, and cannot be framed outside embed mode', async () => {
    const invoice = await createInvoice({ amount_usd: 5 })
    const { page } = await openPage(`${site.origin}/thanks`)
    await page.evaluate(() => {
      ;(window as unknown as { received: unknown[] }).received = []
      window.addEventListener('message', (e) =>
        (window as unknown as { received: unknown[] }).received.push(e.data),
      )
    })
    const spoofed = new URL(invoice.payment_url)
    spoofed.searchParams.set('embed', '1')
    spoofed.searchParams.set('parent_origin', 'https://elsewhere.example')
    await page.evaluate((src) => {
      const frame = document.createElement('iframe')
      frame.id = 'spoofed'
      frame.src = src
      document.body.appendChild(frame)
    }, spoofed.toString())
    const child = page.frameLocator('#spoofed')
    await child.locator('#app[data-screen="select"]').waitFor()
    // a round trip through the parent after the child is ready: any message would have arrived
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)))
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as { received: unknown[] }).received),
      [],
    )

    const plain = await page.evaluate(async (src) => {
      const frame = document.createElement('iframe')
      frame.src = src
      document.body.appendChild(frame)
      await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }))
      try {
        return frame.contentDocument?.querySelector('#app') ? 'rendered' : 'blocked'
      } catch {
        return 'blocked'
      }
    }, invoice.payment_url)
    assert.equal(plain, 'blocked')
  })

  it('shows an expired invoice as expired and offers nothing payable', async () => {
    const invoice = await createInvoice({ expires_in: 60_000 })
    const { page } = await openPage(invoice.payment_url, PHONE)
    await chooseToken(page, 'base', 'USDC')
    assert.match((await page.getByTestId('countdown').textContent()) ?? '', /^[01]:\d\d$/)
    clock.offsetMs += 61_000
    await page.waitForSelector('#app[data-screen="expired"]', { timeout: POLL_MS + 3000 })
    assert.equal(await page.getByRole('status').textContent(), 'This invoice has expired.')
    assert.equal(await page.getByTestId('address').count(), 0, 'no address is shown any more')
    assert.equal(await page.locator('.qr').count(), 0)
    assert.equal(await page.getByRole('radio').count(), 0)
    assert.equal(await page.getByTestId('countdown').isVisible(), false)
    await page.screenshot({ path: screenshotPath('expired-375'), fullPage: true })
    // a fresh visit to the expired link shows the same, straight away
    const again = await openPage(invoice.payment_url)
    await again.page.waitForSelector('#app[data-screen="expired"]')
    assert.equal(await again.page.getByRole('radio').count(), 0)
  })
})
