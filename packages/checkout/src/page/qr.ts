/**
 * QR codes drawn locally (no image service): the wallet URI becomes an SVG path, served to an
 * <img> as a data URI (the page's CSP allows images from `data:` only besides itself).
 */
import qrcode from 'qrcode-generator'

/** Quiet zone around the code, in modules (the QR standard asks for 4). */
const QUIET_ZONE = 4

/** SVG markup of `text` as a QR code: one path of unit squares on a white square. */
export function qrSvg(text: string): string {
  // level M survives ~15 % damage: enough for a screen, and keeps long EIP-681 URIs scannable
  const qr = qrcode(0, 'M')
  qr.addData(text, 'Byte')
  qr.make()
  const count = qr.getModuleCount()
  const size = count + QUIET_ZONE * 2
  let path = ''
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  )
}

export function qrDataUri(text: string): string {
  return `data:image/svg+xml;base64,${btoa(qrSvg(text))}`
}
