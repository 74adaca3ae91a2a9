// Logic the pages share, kept out of components so it is tested alone.
import type { ImportRow, ShipmentFilters } from "./types";

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

// filtersToQuery makes the list's query string, leaving out empty filters.
export function filtersToQuery(f: ShipmentFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === "" || (k === "page" && v === 1)) continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function queryToFilters(search: string): ShipmentFilters {
  const p = new URLSearchParams(search);
  const f: ShipmentFilters = {};
  for (const k of ["q", "state", "source", "carrier", "from", "to"] as const) {
    const v = p.get(k);
    if (v) f[k] = v;
  }
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
