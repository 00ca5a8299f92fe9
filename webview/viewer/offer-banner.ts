// The viewer's own banner for offers (label maps next to the image): inside the editor the user is looking at,
// where a notification toast can go unseen. It floats over the top of the stage, so showing or hiding it never
// resizes the canvas.
import { h } from './dom.js';

export interface OfferEvents {
  open(fileName: string): void;
}

export interface OfferBanner {
  readonly element: HTMLElement;
  /** Shows the offer (nothing for an empty list). */
  show(files: readonly string[]): void;
  /** Hides it, e.g. once the offered overlay is shown. `reason` lands on the body for tests and logs. */
  hide(reason: 'opened' | 'dismissed'): void;
}

/** At most this many files get their own Open button; more are reached through "Label overlay…". */
const MAX_BUTTONS = 3;

export function buildOfferBanner(events: OfferEvents): OfferBanner {
  const element = h('div', { id: 'offer-banner', role: 'status', 'aria-live': 'polite' });
  element.hidden = true;
  const hide = (reason: 'opened' | 'dismissed'): void => {
    element.hidden = true;
    document.body.dataset.overlayOffer = reason;
  };
  return {
    element,
    show(files) {
      document.body.dataset.overlayOffer = files.length > 0 ? 'shown' : 'none';
      if (files.length === 0) return;
      const one = files.length === 1;
      const text = one
        ? h('span', { class: 'offer-text' }, 'A label map on the same grid lies next to this image: ', h('strong', {}, files[0] as string))
        : h('span', { class: 'offer-text' }, `${files.length} label maps on the same grid lie next to this image.`);
      const openButtons = files.slice(0, MAX_BUTTONS).map((file) => {
        const button = h('vscode-button', { class: 'offer-open', 'data-file': file, title: `Show ${file} as a label overlay` }, one ? 'Open' : `Open ${file}`);
        button.addEventListener('click', () => {
          hide('opened');
          events.open(file);
        });
        return button;
      });
      const dismiss = h('vscode-button', { class: 'offer-dismiss', secondary: true, title: 'Hide this offer' }, 'Dismiss');
      dismiss.addEventListener('click', () => hide('dismissed'));
      element.replaceChildren(text, h('span', { class: 'offer-actions' }, ...openButtons, dismiss));
      element.hidden = false;
    },
    hide,
  };
}
