// English a page of the Spanish admin must not show, for the browser walk
// (daily.e2e.mjs reads document.body.innerText of each page): the admin's own
// words, the backend's sentences and raw values, and the small words any
// English sentence has. Matched case-sensitively as whole words, so Waybill's
// CSV column names (order, carrier…) that the Spanish help names stay allowed.
export const englishWords = [
  // backend sentences and raw values
  "Received from", "Fulfillment created", "Fulfillment", "fulfillment", "Something went wrong", "Try again", "Loading",
  "pending", "accepted", "rejected", "duplicate", "synced", "syncing", "failed", "shipped", "delivered", "cancelled",
  "in_transit", "needs_attention", "queued", "skipped", "suppressed", "smtp_not_configured",
  // the admin's words
  "Dashboard", "Orders", "Order", "Shipments", "Shipment", "Import", "Notifications", "Suppliers", "Insights", "Email log",
  "Data requests", "Status sources", "Awaiting", "Pending", "Accepted", "Rejected", "Duplicate", "Synced", "Failed", "Shipped",
  "Delivered", "Received", "Stalled", "Save", "Saved", "Search", "Preview", "Subject", "Send", "Sent", "Not sent", "Nothing was sent",
  "Add", "Remove", "Copy", "Copied", "Close", "Cancel", "Done", "Previous", "Next", "Page", "Tracking", "Carrier", "Items",
  "Quantity", "Source", "Status", "State", "History", "Parcel", "Email", "Emails", "Test", "Details", "Unsubscribes",
  "days ago", "day ago", "today", "Customer", "Download", "Upload", "Uploading", "Processing", "Drop", "Choose",
  // any English sentence
  "The", "the", "and", "with", "from", "your", "Your", "is", "are", "not", "was", "of", "to", "for", "this", "This", "has", "have",
  // English clock times
  "AM", "PM",
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const englishRe = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${englishWords.map(escape).join("|")})(?![\\p{L}\\p{N}_])`, "gu");

// What may be English on a Spanish page: names and data, not words —
// addresses, links, template placeholders, product titles and location
// names the store gave, carriers' names.
const dataPatterns = [
  /https?:\/\/\S+/g, /[\w.+-]+@[\w-]+(\.[\w-]+)+/g, /\{\{[^}]*\}\}/g, /T-shirt \(M\)/g, /Main warehouse/g,
  /Royal Mail|China Post|Correos|YunExpress|17TRACK|AfterShip|EasyPost|Shopify|Waybill/g,
];

// englishIn returns each English word found in text with the words around
// it on its line.
export function englishIn(text) {
  const found = [];
  for (const line of text.split("\n")) {
    let clean = line;
    for (const p of dataPatterns) clean = clean.replace(p, (m) => " ".repeat(m.length)); // keeps positions
    for (const m of clean.matchAll(englishRe)) {
      const from = Math.max(0, m.index - 80), to = Math.min(line.length, m.index + m[0].length + 80);
      found.push({ word: m[0], line: `${from > 0 ? "…" : ""}${line.slice(from, to).trim()}${to < line.length ? "…" : ""}` });
    }
  }
  return found;
}
