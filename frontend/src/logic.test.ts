import { describe, expect, it } from "vitest";
import { filtersToQuery, pageCount, queryToFilters, rejectedRowsCSV, settled } from "./logic";
import type { ImportRow } from "./types";
import { keys, kindLabel, missingSpanish, pickLocale, translator } from "./i18n";

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

describe("filters", () => {
  it("round-trips through the query string, leaving out empties and page 1", () => {
    const q = filtersToQuery({ q: "#1001", state: "failed", source: "", page: 1 });
    expect(q).toBe("?q=%231001&state=failed");
    expect(queryToFilters(q)).toEqual({ q: "#1001", state: "failed" });
    expect(queryToFilters("?page=3&carrier=Correos")).toEqual({ carrier: "Correos", page: 3 });
    expect(filtersToQuery({})).toBe("");
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
    expect(translator("es")("imp.summary", { accepted: 2, duplicate: 0, rejected: 1 })).toBe("2 aceptadas, 0 duplicadas, 1 rechazadas");
    expect(kindLabel(translator("es"), "pushed")).toBe("En Shopify");
    expect(kindLabel(translator("es"), "something_new")).toBe("something_new");
  });
});
