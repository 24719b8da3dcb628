/**
 * Iframe mode (`?embed=1`): `pepay:*` messages to the embedding page. Messages go to one exact
 * origin, never `*`: the browser then delivers them only if the parent really is that origin.
 */
export type BridgeMessage =
  | { type: 'pepay:ready'; invoice_id: string }
  | { type: 'pepay:status'; invoice_id: string; status: string; detail: string }
  | { type: 'pepay:paid'; invoice_id: string; return_url: string | null }
  | { type: 'pepay:expired'; invoice_id: string }
  | { type: 'pepay:close'; invoice_id: string | null }
  /** The page's content height in CSS pixels, so the embedding page can size the frame. */
  | { type: 'pepay:resize'; height: number }

/** `https://shop.example` for a usable origin text, undefined otherwise (including "null"). */
export function originOf(text: string | null | undefined): string | undefined {
  if (!text) return undefined
  try {
    const url = new URL(text)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    return url.origin
  } catch {
    return undefined
  }
}

/**
 * The origin to post to: the one `embed.js` asked for (`parent_origin`), else the parent's origin
 * as the browser reports it (`ancestorOrigins`), else the referrer's. None → no messages at all.
 */
export function resolveParentOrigin(input: {
  requested: string | null
  ancestorOrigin: string | undefined
  referrer: string
}): string | undefined {
  const requested = originOf(input.requested)
  if (requested) return requested
  return originOf(input.ancestorOrigin) ?? originOf(input.referrer)
}

export interface Bridge {
  readonly enabled: boolean
  readonly targetOrigin: string | undefined
  post(message: BridgeMessage): void
}

/** The bridge of this window: enabled only when framed and in embed mode. */
export function createBridge(win: Window, embed: boolean): Bridge {
  const framed = win.parent !== win
  if (!embed || !framed) return { enabled: false, targetOrigin: undefined, post: () => undefined }
  const params = new URLSearchParams(win.location.search)
  const targetOrigin = resolveParentOrigin({
    requested: params.get('parent_origin'),
    // ancestorOrigins exists in Chromium and Safari only
    ancestorOrigin:
      (win.location as { ancestorOrigins?: DOMStringList }).ancestorOrigins?.[0] ?? undefined,
    referrer: win.document.referrer,
  })
  return {
    enabled: targetOrigin !== undefined,
    targetOrigin,
    post(message) {
      if (targetOrigin === undefined) return
      try {
        win.parent.postMessage({ source: 'pepay-checkout', ...message }, targetOrigin)
      } catch {
        // a parent that navigated away: nothing to tell
      }
    },
  }
}
