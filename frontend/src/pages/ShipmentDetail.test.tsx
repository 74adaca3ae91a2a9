import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n";
import type { ShipmentDetailResponse } from "../types";
import { ShipmentDetail } from "./ShipmentDetail";

// The page loads the shipment through the API client: the test answers it.
let answer: ShipmentDetailResponse;
vi.mock("../api", () => ({ api: vi.fn(async () => answer) }));

afterEach(cleanup);

function detail(trackingURL: string): ShipmentDetailResponse {
  return {
    shipment: {
      id: "s1", order_id: 1, order_name: "#1001", order_ref: "#1001", tracking_number: "RB123456785ES", carrier: "Correos",
      tracking_url: trackingURL, source: "shopify", state: "synced", state_reason: "", status: "in_transit", line_items: [],
      created_at: "2026-11-24T12:00:00Z",
    },
    history: [], checkpoints: [], emails: [],
  };
}

const show = () =>
  render(
    <AppProvider i18n={en}>
      <I18nProvider locale="en">
        <ShipmentDetail id="s1" />
      </I18nProvider>
    </AppProvider>,
  );

describe("shipment detail's tracking link", () => {
  it("is a link for an https URL", async () => {
    answer = detail("https://www.correos.es/track?n=RB123456785ES");
    show();
    const link = (await screen.findByText("https://www.correos.es/track?n=RB123456785ES")).closest("a");
    expect(link?.getAttribute("href")).toBe("https://www.correos.es/track?n=RB123456785ES");
  });
  it("is text, never a link, for javascript: and other schemes", async () => {
    for (const bad of ["javascript:alert(document.domain)", "data:text/html,<script>alert(1)</script>"]) {
      answer = detail(bad);
      const { container } = show();
      expect((await screen.findByText(bad)).closest("a")).toBeNull();
      for (const a of container.querySelectorAll("a")) expect(a.getAttribute("href") ?? "").not.toMatch(/^\s*(javascript|data):/i);
      cleanup();
    }
  });
});
