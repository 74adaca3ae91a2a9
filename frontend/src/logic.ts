// Logic the pages share, kept out of components so it is tested alone.
import type { ImportRow, ShipmentFilters } from "./types";

function csvField(v: string): string {
  return /[",;\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

// rejectedRowsCSV is the download of an import's rejected rows: the
// merchant fixes them and imports the file again.
export function rejectedRowsCSV(rows: ImportRow[]): string {
  const out = ["line,order,tracking_number,error"];
  for (const r of rows) {
    if (r.status !== "rejected") continue;
    out.push([String(r.line), r.order, r.tracking_number, r.error ?? ""].map(csvField).join(","));
  }
  return out.join("\n") + "\n";
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
