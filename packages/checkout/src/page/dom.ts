/**
 * A tiny element builder: `h('button', { class: 'btn', onclick: fn }, 'Copy')`. Attributes are set
 * with setAttribute (never innerHTML), so text from the server can never become markup.
 */
export type Child = Node | string | false | null | undefined
type Handler = (event: Event) => void
export type Props = Record<string, string | number | boolean | Handler | null | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === 'function') {
      el.addEventListener(name.replace(/^on/, ''), value)
    } else if (
      name === 'value' &&
      (el instanceof HTMLInputElement ||
        el instanceof HTMLSelectElement ||
        el instanceof HTMLTextAreaElement)
    ) {
      el.value = String(value)
    } else if (name === 'checked' && el instanceof HTMLInputElement) {
      el.checked = value === true
    } else {
      el.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(el, children)
  return el
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild)
  append(parent, children)
}

/** Sets text only when it changed (keeps screen readers from re-reading unchanged live regions). */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text
}
