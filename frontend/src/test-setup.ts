// jsdom has no media queries; Polaris reads them when it is imported.
window.matchMedia ||= ((q: string) => ({
  matches: false, media: q, onchange: null, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {},
  dispatchEvent: () => false,
})) as unknown as typeof window.matchMedia;

// jsdom does not scroll; the router scrolls to the top on every navigation.
window.scrollTo = (() => {}) as typeof window.scrollTo;
