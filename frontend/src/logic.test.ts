import { describe, expect, it } from "vitest";
import { checkDraft, csvCell, deliveryEstimate, filtersToQuery, orderedEvents, pageCount, queryToFilters, rejectedRowsCSV, safeHref, settled, toCSV, toDraft } from "./logic";
import type { ImportRow } from "./types";
import { keys, kindLabel, missingSpanish, pickLocale, translator } from "./i18n";
import { rowResultText } from "./messages";

const rows: ImportRow[] = [
  { line: 2, order: "#1001", tracking_number: "RB123456785ES", status: "accepted", shipment_id: "a" },
  { line: 3, order: "#1002", tracking_number: "", status: "rejected", error: "tracking_number is required" },
  { line: 4, order: "#10;03", tracking_number: 'X"1', status: "rejected", error: "quantity \"dos\" must be a whole number above 0" },
  { line: 5, order: "#1001", tracking_number: "RB123456785ES", status: "duplicate", shipment_id: "a" },
];

describe("rejected rows download", () => {
  it("keeps only rejected rows and quotes what needs quoting", () => {
    expect(rejectedRowsCSV(rows)).toBe(
      'line,order,tracking_number,error\n3,#1002,,tracking_number is required\n4,"#10;03","X""1","quantity ""dos"" must be a whole number above 0"\n',
    );
  });
  it("is just the header when nothing was rejected", () => {
    expect(rejectedRowsCSV([rows[0]])).toBe("line,order,tracking_number,error\n");
  });
});

describe("CSV cells a spreadsheet would run (OWASP CSV injection)", () => {
  it("neutralises = + - @ tab and CR at the start of a cell with a quote, and quotes the cell", () => {
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csvCell("+cmd|' /C calc'!A0")).toBe(`"'+cmd|' /C calc'!A0"`);
    expect(csvCell("@SUM(1+1)")).toBe(`"'@SUM(1+1)"`);
    expect(csvCell("-2+3")).toBe(`"'-2+3"`);
    expect(csvCell("\t=1")).toBe(`"'\t=1"`);
    expect(csvCell("\r=1")).toBe(`"'\r=1"`);
  });
  it("leaves ordinary cells as they are, formula characters inside a cell included", () => {
    expect(csvCell("#1001")).toBe("#1001");
    expect(csvCell("RB123456785ES")).toBe("RB123456785ES");
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("")).toBe("");
  });
  it("applies to every cell of the rejected rows download", () => {
    const hostile: ImportRow[] = [
      { line: 2, order: "=HYPERLINK(\"http://evil.example\")", tracking_number: "+cmd|x", status: "rejected", error: "@SUM(A1)" },
      { line: 3, order: "-2+3", tracking_number: "RB1", status: "rejected", error: "tracking_number is required" },
    ];
    const lines = rejectedRowsCSV(hostile).trim().split("\n").slice(1);
    expect(lines).toEqual([`2,"'=HYPERLINK(""http://evil.example"")","'+cmd|x","'@SUM(A1)"`, `3,"'-2+3",RB1,tracking_number is required`]);
    for (const line of lines) for (const cell of line.split(",")) expect(cell).not.toMatch(/^"?[=+\-@]/);
  });
  it("is the one writer: toCSV runs every cell through the rule", () => {
    expect(toCSV([["a", "=1"], ["-1", "b;c"]])).toBe(`a,"'=1"\n"'-1","b;c"\n`);
  });
});

describe("safeHref", () => {
  it("lets http(s) URLs through", () => {
    expect(safeHref("https://www.correos.es/track?n=RB1")).toBe("https://www.correos.es/track?n=RB1");
    expect(safeHref("http://carrier.example/x")).toBe("http://carrier.example/x");
    expect(safeHref("HTTPS://Carrier.example/x")).toBe("https://carrier.example/x");
  });
  it("refuses every other scheme and anything that is not an absolute URL", () => {
    for (const bad of ["javascript:alert(document.domain)", "JavaScript:alert(1)", " javascript:alert(1)", "\tjavascript:alert(1)",
      "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "/relative/path", "//evil.example/x",
      "ftp://files.example/x", "mailto:a@b.example", "", null, undefined]) {
      expect(safeHref(bad)).toBeUndefined();
    }
  });
});

describe("filters", () => {
  it("round-trips through the query string, leaving out empties and page 1", () => {
    const q = filtersToQuery({ q: "#1001", state: "failed", source: "", page: 1 });
    expect(q).toBe("?q=%231001&state=failed");
    expect(queryToFilters(q)).toEqual({ q: "#1001", state: "failed" });
    expect(queryToFilters("?page=3&carrier=Correos")).toEqual({ carrier: "Correos", page: 3 });
    expect(filtersToQuery({})).toBe("");
  });
  it("carries the parcel status and the stalled switch", () => {
    expect(filtersToQuery({ status: "in_transit" })).toBe("?status=in_transit");
    expect(filtersToQuery({ stalled: true })).toBe("?stalled=true");
    expect(filtersToQuery({ state: "synced", status: "", stalled: false })).toBe("?state=synced");
    expect(queryToFilters("?status=out_for_delivery&stalled=true")).toEqual({ status: "out_for_delivery", stalled: true });
    expect(queryToFilters("?stalled=false")).toEqual({});
  });
  it("counts pages", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(101, 50)).toBe(3);
  });
});

describe("import follow-up", () => {
  it("is settled only when no accepted row is still on its way", () => {
    expect(settled({ a: "syncing" }, rows)).toBe(false);
    expect(settled({ a: "synced" }, rows)).toBe(true);
    expect(settled({}, rows)).toBe(false);
  });
});

describe("i18n", () => {
  it("has every English word in Spanish", () => {
    expect(missingSpanish()).toEqual([]);
    expect(keys.length).toBeGreaterThan(50);
  });
  it("picks the locale and interpolates", () => {
    expect(pickLocale("?locale=es-MX", "en-US")).toBe("es");
    expect(pickLocale("", "es-AR")).toBe("es");
    expect(pickLocale("?shop=x", "fr")).toBe("en");
    expect(translator("es")("imp.summary", { accepted: 2, duplicate: 0, rejected: 1 })).toBe("Aceptadas: 2 · Duplicadas: 0 · Rechazadas: 1");
    expect(kindLabel(translator("es"), "pushed")).toBe("En Shopify");
    expect(kindLabel(translator("es"), "something_new")).toBe("something_new");
  });
});

describe("API rows that are not the documented JSON", () => {
  it("says why in Spanish, counting items from 1", () => {
    const es = translator("es");
    expect(rowResultText(es, { status: "rejected", error: "line_items[1].sku must be a string", error_code: "line_sku_not_text", error_params: { index: "1" } }, "es"))
      .toBe("Rechazada: El SKU del artículo 2 debe ser texto.");
    expect(rowResultText(es, { status: "rejected", error: "carrier must be a string", error_code: "field_not_text", error_params: { field: "carrier" } }, "es"))
      .toBe("Rechazada: El campo transportista debe ser texto.");
    expect(rowResultText(es, { status: "rejected", error: "unknown field", error_code: "unknown_field", error_params: { field: "trackng_url" } }, "es"))
      .toContain("Campo desconocido «trackng_url»");
  });
});

describe("tracking settings draft", () => {
  const saved = { shopify_tracking: false, stall_days_domestic: 4, stall_days_cross_border: 10, transit_windows: [{ country: "ES", carrier: "", min_days: 3, max_days: 5 }] };
  it("round-trips valid settings, upper-casing countries and trimming carriers", () => {
    const d = toDraft(saved);
    d.transit_windows.push({ country: " mx", carrier: " DHL ", min_days: "0", max_days: "120" });
    expect(checkDraft(d, false)).toEqual({
      problems: {},
      settings: { ...saved, transit_windows: [...saved.transit_windows, { country: "MX", carrier: "DHL", min_days: 0, max_days: 120 }] },
    });
  });
  it("names each field the server would refuse", () => {
    const d = toDraft(saved);
    d.stall_days_domestic = "0";
    d.stall_days_cross_border = "121";
    d.transit_windows = [
      { country: "ESP", carrier: "", min_days: "6", max_days: "5" },
      { country: "es", carrier: "x".repeat(101), min_days: "-1", max_days: "0" },
      { country: "FR", carrier: "Colissimo", min_days: "2.5", max_days: "" },
      { country: "fr", carrier: "colissimo", min_days: "2", max_days: "4" },
    ];
    const { problems, settings } = checkDraft(d, true);
    expect(settings).toBeUndefined();
    expect(problems).toEqual({
      stall_days_domestic: "stallDays", stall_days_cross_border: "stallDays",
      "transit_windows.0.country": "country", "transit_windows.0.min_days": "minOverMax",
      "transit_windows.1.carrier": "carrier", "transit_windows.1.min_days": "minDays", "transit_windows.1.max_days": "maxDays",
      "transit_windows.2.min_days": "minDays", "transit_windows.2.max_days": "maxDays",
      "transit_windows.3.country": "repeat",
    });
  });
});

describe("delivery estimate", () => {
  it("prefers the carrier's ETA, else the merchant's window, in the admin's language", () => {
    const window = { delivery_window_from: "2026-12-12T12:00:00Z", delivery_window_to: "2026-12-19T12:00:00Z" };
    expect(deliveryEstimate({ estimated_delivery_at: "2026-12-15T12:00:00Z", ...window }, "es")).toEqual({ kind: "carrier", text: "mar, 15 dic" });
    expect(deliveryEstimate({ estimated_delivery_at: null, ...window }, "es")).toEqual({ kind: "window", text: "12–19 dic" });
    expect(deliveryEstimate({ ...window }, "en")?.text.replace(/\s/g, " ")).toBe("Dec 12 – 19"); // ICU puts thin spaces around the dash
    expect(deliveryEstimate({ estimated_delivery_at: "not a date" }, "en")).toBeUndefined();
    expect(deliveryEstimate({}, "en")).toBeUndefined();
  });
});

describe("notification events", () => {
  it("follow the page's order, unknown ones last", () => {
    expect(orderedEvents(["delayed", "delivered", "shipped", "something_new", "attempted_delivery", "ready_for_pickup"])).toEqual([
      "shipped", "attempted_delivery", "ready_for_pickup", "delivered", "delayed", "something_new",
    ]);
    expect(orderedEvents(null)).toEqual([]);
  });
});
