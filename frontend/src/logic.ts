// Logic the pages share, kept out of components so it is tested alone.
import type { ImportRow, Shipment, ShipmentFilters, TrackingSettings, TransitWindow } from "./types";

// csvCell is one cell of every CSV Waybill writes. A cell that starts with
// = + - @, a tab or a carriage return would be a formula to a spreadsheet
// (=HYPERLINK(…), +cmd|…, @SUM(…), -2+3): following OWASP's CSV injection
// rule it gets a leading single quote, which spreadsheets show as text, and
// is quoted. Cells with a quote, comma, semicolon or line break are quoted,
// their quotes doubled.
export function csvCell(v: string): string {
  if (/^[=+\-@\t\r]/.test(v)) return `"'${v.replace(/"/g, '""')}"`;
  return /[",;\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

// toCSV writes rows of cells as CSV text, every cell through csvCell.
export function toCSV(rows: string[][]): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

// rejectedRowsCSV is the download of an import's rejected rows: the
// merchant fixes them and imports the file again.
export function rejectedRowsCSV(rows: ImportRow[]): string {
  const out = [["line", "order", "tracking_number", "error"]];
  for (const r of rows) {
    if (r.status !== "rejected") continue;
    out.push([String(r.line), r.order, r.tracking_number, r.error ?? ""]);
  }
  return toCSV(out);
}

// safeHref returns url when it may be a link's href — an absolute http or
// https URL — and undefined otherwise (javascript:, data:, vbscript:,
// relative paths…). Every URL the server sends that becomes a link goes
// through it: the server refuses other schemes at intake, and this is the
// second lock.
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return (u.protocol === "https:" || u.protocol === "http:") && u.host !== "" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

// The parcel statuses the shipments list filters on, in a parcel's order of life.
export const parcelStatuses = [
  "pending", "shipped", "info_received", "in_transit", "out_for_delivery", "available_for_pickup", "attempted_delivery", "delivered", "exception", "expired",
] as const;

// filtersToQuery makes the list's query string, leaving out empty filters.
export function filtersToQuery(f: ShipmentFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === "" || v === false || (k === "page" && v === 1)) continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function queryToFilters(search: string): ShipmentFilters {
  const p = new URLSearchParams(search);
  const f: ShipmentFilters = {};
  for (const k of ["q", "state", "status", "source", "carrier", "from", "to"] as const) {
    const v = p.get(k);
    if (v) f[k] = v;
  }
  if (p.get("stalled") === "true") f.stalled = true;
  const page = Number(p.get("page"));
  if (page > 1) f.page = page;
  return f;
}

export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}

// settled says whether an import is done being pushed: no accepted row's
// shipment is still pending or syncing.
export function settled(states: Record<string, string>, rows: ImportRow[]): boolean {
  return rows.every((r) => r.status !== "accepted" || !r.shipment_id || !["pending", "syncing", undefined].includes(states[r.shipment_id]));
}

// ---- delays and delivery estimates ----

// The server's limits (app/tracking.go, app/validate.go).
export const MAX_DAYS = 120;
export const MAX_WINDOWS = 200;
export const MAX_NAME = 100;

// The editor keeps numbers as typed (text) until they are checked.
export interface WindowDraft {
  country: string;
  carrier: string;
  min_days: string;
  max_days: string;
}

export interface TrackingDraft {
  stall_days_domestic: string;
  stall_days_cross_border: string;
  transit_windows: WindowDraft[];
}

// What is wrong with a field: an i18n key under "val." (the page words it).
export type DraftProblem = "stallDays" | "country" | "carrier" | "minDays" | "maxDays" | "minOverMax" | "repeat" | "tooMany";

export function toDraft(s: TrackingSettings): TrackingDraft {
  return {
    stall_days_domestic: String(s.stall_days_domestic),
    stall_days_cross_border: String(s.stall_days_cross_border),
    transit_windows: (s.transit_windows ?? []).map((w) => ({ country: w.country, carrier: w.carrier, min_days: String(w.min_days), max_days: String(w.max_days) })),
  };
}

function wholeDays(v: string, min: number): number | undefined {
  const t = v.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= MAX_DAYS ? n : undefined;
}

// checkDraft applies the server's rules before a save: problems by field
// (stall_days_domestic, transit_windows.2.country…) or, when there are
// none, the settings to PUT (countries upper-cased, text trimmed).
export function checkDraft(d: TrackingDraft, shopifyTracking: boolean): { problems: Record<string, DraftProblem>; settings?: TrackingSettings } {
  const problems: Record<string, DraftProblem> = {};
  const domestic = wholeDays(d.stall_days_domestic, 1);
  const crossBorder = wholeDays(d.stall_days_cross_border, 1);
  if (domestic === undefined) problems.stall_days_domestic = "stallDays";
  if (crossBorder === undefined) problems.stall_days_cross_border = "stallDays";
  if (d.transit_windows.length > MAX_WINDOWS) problems.transit_windows = "tooMany";
  const windows: TransitWindow[] = [];
  const seen = new Set<string>();
  d.transit_windows.forEach((w, i) => {
    const at = `transit_windows.${i}.`;
    const country = w.country.trim().toUpperCase();
    const carrier = w.carrier.trim();
    if (!/^[A-Z]{2}$/.test(country)) problems[at + "country"] = "country";
    if ([...carrier].length > MAX_NAME || /\p{Cc}/u.test(carrier)) problems[at + "carrier"] = "carrier";
    const min = wholeDays(w.min_days, 0);
    const max = wholeDays(w.max_days, 1);
    if (min === undefined) problems[at + "min_days"] = "minDays";
    if (max === undefined) problems[at + "max_days"] = "maxDays";
    if (min !== undefined && max !== undefined && min > max) problems[at + "min_days"] = "minOverMax";
    const key = country + "\u0000" + carrier.toLowerCase();
    if (seen.has(key) && !problems[at + "country"]) problems[at + "country"] = "repeat";
    seen.add(key);
    windows.push({ country, carrier, min_days: min ?? 0, max_days: max ?? 0 });
  });
  if (Object.keys(problems).length > 0) return { problems };
  return {
    problems,
    settings: { shopify_tracking: shopifyTracking, stall_days_domestic: domestic!, stall_days_cross_border: crossBorder!, transit_windows: windows },
  };
}

// deliveryEstimate says when a parcel should arrive: the carrier's ETA
// ("carrier") or else the merchant's transit window ("window": 12–19 Dec),
// in the admin's language; undefined when there is neither.
export function deliveryEstimate(
  s: Pick<Shipment, "estimated_delivery_at" | "delivery_window_from" | "delivery_window_to">,
  locale: string,
): { kind: "carrier" | "window"; text: string } | undefined {
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
  const valid = (v?: string | null) => (v && !Number.isNaN(new Date(v).getTime()) ? new Date(v) : undefined);
  const eta = valid(s.estimated_delivery_at);
  if (eta) return { kind: "carrier", text: new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short" }).format(eta) };
  const from = valid(s.delivery_window_from);
  const to = valid(s.delivery_window_to);
  if (from && to) return { kind: "window", text: from.getTime() <= to.getTime() ? day.formatRange(from, to) : day.format(to) };
  if (to ?? from) return { kind: "window", text: day.format((to ?? from)!) };
  return undefined;
}

// The customer emails in the order the notifications page lists them.
export const eventOrder = [
  "shipped", "tracking_updated", "out_for_delivery", "attempted_delivery", "ready_for_pickup", "delivered", "delivery_exception", "delayed",
];

// orderedEvents puts the server's events in eventOrder; events it does
// not know yet come after, as the server sent them.
export function orderedEvents(events: string[] | null | undefined): string[] {
  const have = new Set(events ?? []);
  return [...eventOrder.filter((e) => have.has(e)), ...(events ?? []).filter((e) => !eventOrder.includes(e))];
}
