/**
 * `/embed.js`: opens a payment URL as a modal over the merchant's page.
 *
 * ```html
 * <script src="https://pay.example.com/embed.js"></script>
 * <script>
 *   Pepay.open(invoice.payment_url, { onPaid: (e) => console.log('paid', e.invoice_id) })
 * </script>
 * ```
 *
 * The modal is an iframe of `payment_url&embed=1&parent_origin=<this page's origin>`. Messages are
 * accepted only from that iframe's window and the checkout's origin. Styles are set through the
 * CSSOM (element.style), which a merchant's CSP allows where inline style attributes may not be.
 */

export interface PepayMessage {
  type:
    'pepay:ready' | 'pepay:status' | 'pepay:paid' | 'pepay:expired' | 'pepay:close' | 'pepay:resize'
  invoice_id?: string | null
  height?: number
  status?: string
  detail?: string
  return_url?: string | null
}

export interface OpenOptions {
  onStatus?: (message: PepayMessage) => void
  onPaid?: (message: PepayMessage) => void
  onExpired?: (message: PepayMessage) => void
  onClose?: () => void
  /** After `pepay:paid`, go to the invoice's return URL when it has one (default true). */
  redirectOnPaid?: boolean
  /** Close the modal this long after `pepay:paid` (default 4000 ms; 0 keeps it open). */
  closeAfterPaidMs?: number
}

export interface CheckoutModal {
  close(): void
}

const MESSAGE_TYPES = new Set([
  'pepay:ready',
  'pepay:status',
  'pepay:paid',
  'pepay:expired',
  'pepay:close',
  'pepay:resize',
])

type Styles = Partial<
  Record<
    | 'position'
    | 'inset'
    | 'zIndex'
    | 'display'
    | 'alignItems'
    | 'justifyContent'
    | 'background'
    | 'padding'
    | 'width'
    | 'maxWidth'
    | 'height'
    | 'maxHeight'
    | 'border'
    | 'borderRadius'
    | 'boxShadow'
    | 'overflow'
    | 'colorScheme',
    string
  >
>

function styled<T extends HTMLElement>(el: T, styles: Styles): T {
  Object.assign(el.style, styles)
  return el
}

let current: { close(): void } | undefined

/** The iframe URL: the payment URL in embed mode, telling the page which origin to talk to. */
export function embedUrl(paymentUrl: string, parentOrigin: string): URL {
  const url = new URL(paymentUrl, window.location.href)
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError('Pepay.open needs an http(s) payment URL')
  url.searchParams.set('embed', '1')
  url.searchParams.set('parent_origin', parentOrigin)
  return url
}

export function open(paymentUrl: string, options: OpenOptions = {}): CheckoutModal {
  current?.close()
  const url = embedUrl(paymentUrl, window.location.origin)
  const checkoutOrigin = url.origin
  const previousFocus =
    document.activeElement instanceof HTMLElement ? document.activeElement : null
  const previousOverflow = document.documentElement.style.overflow

  const overlay = styled(document.createElement('div'), {
    position: 'fixed',
    inset: '0',
    zIndex: '2147483000',
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    background: 'rgb(17 24 39 / 60%)',
    padding: '16px',
  })
  overlay.setAttribute('role', 'dialog')
  overlay.setAttribute('aria-modal', 'true')
  overlay.setAttribute('aria-label', 'Pay with Pepay')
  overlay.dataset['pepayCheckout'] = ''

  const frame = styled(document.createElement('iframe'), {
    width: '100%',
    maxWidth: '520px',
    height: '640px',
    maxHeight: '100%',
    border: '0',
    borderRadius: '16px',
    boxShadow: '0 20px 50px rgb(0 0 0 / 35%)',
    background: 'transparent',
    colorScheme: 'normal',
  })
  frame.title = 'Pepay checkout'
  frame.src = url.toString()
  frame.setAttribute('allow', 'clipboard-write')
  overlay.appendChild(frame)

  let closed = false
  let paidTimer: number | undefined
  const onMessage = (event: MessageEvent): void => {
    if (event.source !== frame.contentWindow || event.origin !== checkoutOrigin) return
    const data: unknown = event.data
    if (typeof data !== 'object' || data === null) return
    const candidate = data as { source?: unknown; type?: unknown }
    if (
      candidate.source !== 'pepay-checkout' ||
      typeof candidate.type !== 'string' ||
      !MESSAGE_TYPES.has(candidate.type)
    )
      return
    const message = data as PepayMessage
    switch (message.type) {
      case 'pepay:ready':
        break
      case 'pepay:resize':
        // the page reports its content height; the overlay's padding caps it at the viewport
        if (typeof message.height === 'number' && message.height > 0 && message.height < 10_000)
          frame.style.height = `${Math.ceil(message.height)}px`
        break
      case 'pepay:status':
        options.onStatus?.(message)
        break
      case 'pepay:paid': {
        options.onPaid?.(message)
        const delay = options.closeAfterPaidMs ?? 4000
        if (delay > 0) {
          paidTimer = window.setTimeout(() => {
            modal.close()
            const target = message.return_url
            if (
              options.redirectOnPaid !== false &&
              typeof target === 'string' &&
              /^https?:\/\//i.test(target)
            )
              window.location.assign(target)
          }, delay)
        }
        break
      }
      case 'pepay:expired':
        options.onExpired?.(message)
        break
      case 'pepay:close':
        modal.close()
        break
    }
  }
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') modal.close()
  }
  const onBackdrop = (event: MouseEvent): void => {
    if (event.target === overlay) modal.close()
  }

  const modal: CheckoutModal = {
    close() {
      if (closed) return
      closed = true
      if (paidTimer !== undefined) window.clearTimeout(paidTimer)
      window.removeEventListener('message', onMessage)
      document.removeEventListener('keydown', onKey)
      overlay.remove()
      document.documentElement.style.overflow = previousOverflow
      if (current === modal) current = undefined
      previousFocus?.focus()
      options.onClose?.()
    },
  }
  window.addEventListener('message', onMessage)
  document.addEventListener('keydown', onKey)
  overlay.addEventListener('click', onBackdrop)
  document.documentElement.style.overflow = 'hidden'
  document.body.appendChild(overlay)
  frame.focus()
  current = modal
  return modal
}

export function close(): void {
  current?.close()
}

const globals = window as unknown as { Pepay?: Record<string, unknown> }
globals.Pepay = Object.assign(globals.Pepay ?? {}, { open, close })
