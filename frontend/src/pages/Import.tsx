import { Banner, BlockStack, Button, Card, DataTable, DropZone, InlineStack, List, ProgressBar, Text } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api, upload } from "../api";
import { has, useI18n, type T } from "../i18n";
import { rejectedRowsCSV, settled } from "../logic";
import { messageText, rowResultText } from "../messages";
import type { ImportPreview, ImportProblem, ImportReport, ShipmentDetailResponse } from "../types";
import { Link, StateBadge } from "../ui";

// fieldName says in words what a column is read as.
function fieldName(t: T, field: string): string {
  const key = `imports.field.${field || "none"}`;
  return has(key) ? t(key) : field;
}

// formatName says in words which kind of file it is.
function formatName(t: T, format: string): string {
  const key = `imports.format.${format}`;
  return has(key) ? t(key) : format;
}

// problemText words a problem the server gave as a code and parameters.
export function problemText(t: T, p: ImportProblem): string {
  const field = fieldName(t, p.field ?? "");
  switch (p.code) {
    case "missing_column":
      return p.header
        ? t("imports.problem.missing_column_hint", { field, header: p.header, code: p.field ?? "" })
        : t("imports.problem.missing_column", { field });
    case "tracking_column_not_recognised":
      return t("imports.problem.tracking_column_not_recognised", { header: p.header ?? "" });
    case "duplicate_column":
      return t("imports.problem.duplicate_column", { header: p.header ?? "", field });
    case "row_rejected":
      return t("imports.problem.row_rejected", { line: p.line ?? 0, message: messageText(t, p.message_code, p.message_params) || (p.message ?? "") });
  }
  return p.code;
}

// Mapping shows how a file was understood and asks before importing it.
function Mapping({ name, preview, onConfirm, onCancel }: { name: string; preview: ImportPreview; onConfirm: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const blocked = preview.problems.some((p) => p.code === "missing_column") || preview.rows === 0;
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">{t("imports.mappingTitle", { file: name })}</Text>
        <Text as="p" id="import-format">{t("imports.formatLabel", { format: formatName(t, preview.format) })}</Text>
        <DataTable
          columnContentTypes={["text", "text"]}
          headings={[t("imports.column"), t("imports.understoodAs")]}
          rows={preview.columns.map((c) => [
            c.header,
            <span data-field={c.field} key={c.header}>
              <Text as="span" tone={c.field ? undefined : "subdued"}>{fieldName(t, c.field)}</Text>
            </span>,
          ])}
        />
        {!blocked && <Text as="p" id="import-counts">{t("imports.counts", { rows: preview.rows, shipments: preview.shipments })}</Text>}
        {preview.problems.length > 0 && (
          <Banner tone={blocked ? "critical" : "warning"} title={t("imports.problems")}>
            <List>
              {preview.problems.map((p, i) => <List.Item key={i}>{problemText(t, p)}</List.Item>)}
            </List>
            {preview.rejected > 0 && <Text as="p">{t("imports.rejected", { count: preview.rejected })}</Text>}
          </Banner>
        )}
        {preview.sample.length > 0 && (
          <BlockStack gap="100">
            <Text as="h3" variant="headingSm">{t("imports.sample")}</Text>
            <DataTable
              columnContentTypes={["text", "text", "text", "text", "text"]}
              headings={[t("imports.lines"), t("ship.order"), t("ship.number"), t("ship.carrier"), t("imports.items")]}
              rows={preview.sample.map((s) => [
                s.lines.join(", "),
                s.order || String(s.order_id ?? ""),
                s.tracking_number,
                s.carrier || t("imports.detected"),
                s.line_items.length ? s.line_items.map((l) => `${l.sku} × ${l.quantity}`).join(", ") : t("imports.allItems"),
              ])}
            />
          </BlockStack>
        )}
        {blocked && <Text as="p" tone="critical">{t("imports.cannot")}</Text>}
        <InlineStack gap="200">
          {!blocked && (
            <Button variant="primary" onClick={onConfirm} id="import-confirm">
              {preview.rows === 1 ? t("imports.confirmOne") : t("imports.confirm", { rows: preview.rows })}
            </Button>
          )}
          <Button onClick={onCancel}>{t("imports.another")}</Button>
        </InlineStack>
      </BlockStack>
    </Card>
  );
}

export function Import() {
  const { t } = useI18n();
  const [file, setFile] = useState<File>();
  const [checking, setChecking] = useState(false);
  const [preview, setPreview] = useState<ImportPreview>();
  const [progress, setProgress] = useState<number>();
  const [report, setReport] = useState<ImportReport>();
  const [error, setError] = useState<string>();
  const [states, setStates] = useState<Record<string, string>>({});

  // Follow the accepted rows until each is in Shopify (or needs the merchant).
  useEffect(() => {
    if (!report || settled(states, report.rows)) return;
    const timer = setTimeout(async () => {
      const next: Record<string, string> = { ...states };
      for (const r of report.rows) {
        if (r.shipment_id && r.status !== "rejected") {
          const d = await api<ShipmentDetailResponse>(`/shipments/${r.shipment_id}`).catch(() => undefined);
          if (d) next[r.shipment_id] = d.shipment.state;
        }
      }
      setStates(next);
    }, 1000);
    return () => clearTimeout(timer);
  }, [report, states]);

  // choose reads the file without importing it: the merchant sees how each
  // column was understood first.
  const choose = async (f: File) => {
    setError(undefined);
    setReport(undefined);
    setPreview(undefined);
    setStates({});
    setFile(f);
    setChecking(true);
    try {
      setPreview(await upload<ImportPreview>("/imports?dry_run=true", f, () => undefined));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setChecking(false);
    }
  };
  const send = async (f: File) => {
    setError(undefined);
    setPreview(undefined);
    setReport(undefined);
    setStates({});
    setProgress(0);
    try {
      setReport(await upload<ImportReport>("/imports", f, setProgress));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(undefined);
    }
  };
  const reset = () => {
    setFile(undefined);
    setPreview(undefined);
    setError(undefined);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([rejectedRowsCSV(report!.rows)], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "rejected-rows.csv";
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <BlockStack gap="400">
      <Text as="h1" variant="headingXl">{t("imp.title")}</Text>
      <Card>
        <BlockStack gap="300">
          <Text as="p">{t("imports.help")}</Text>
          {/* The label is for screen readers: the drop zone's own hint says it once. */}
          <DropZone accept=".csv,text/csv" allowMultiple={false} onDrop={(files) => files[0] && choose(files[0])} label={t("imports.fileLabel")} labelHidden>
            <DropZone.FileUpload actionHint={t("imp.drop")} />
          </DropZone>
          {checking && <Text as="p" id="import-checking">{t("imports.checking")}</Text>}
          {progress !== undefined && (
            <BlockStack gap="100">
              <Text as="p">{progress < 100 ? t("imp.uploading", { percent: progress }) : t("imp.processing")}</Text>
              <ProgressBar progress={progress} />
            </BlockStack>
          )}
        </BlockStack>
      </Card>
      {error && <Banner tone="critical" title={t("error.title")}>{error}</Banner>}
      {preview && file && <Mapping name={file.name} preview={preview} onConfirm={() => send(file)} onCancel={reset} />}
      {report && (
        <Card padding="0">
          <BlockStack gap="200">
            <div style={{ padding: "1rem" }}>
              <Text as="p" variant="headingMd" id="import-summary">
                {t("imp.summary", { accepted: report.accepted, duplicate: report.duplicate, rejected: report.rejected })}
              </Text>
              {report.encoding && report.encoding !== "utf-8" && (
                <Text as="p" tone="subdued" id="import-encoding">{t("imp.encoding", { encoding: report.encoding.toUpperCase() })}</Text>
              )}
              <Text as="p" tone="subdued" id="import-follow">{settled(states, report.rows) ? t("imp.allDone") : t("imp.watching")}</Text>
              {report.rejected > 0 && <Button onClick={download}>{t("imp.download")}</Button>}
            </div>
            <DataTable
              columnContentTypes={["numeric", "text", "text", "text", "text"]}
              headings={[t("imp.line"), t("ship.order"), t("ship.number"), t("imp.result"), t("ship.state")]}
              rows={report.rows.map((r) => [
                r.line, r.order, r.tracking_number, rowResultText(t, r),
                r.shipment_id && states[r.shipment_id] ? (
                  <span data-row-state={states[r.shipment_id]}><Link to={`/shipments/${r.shipment_id}`}><StateBadge state={states[r.shipment_id]} /></Link></span>
                ) : "—",
              ])}
            />
          </BlockStack>
        </Card>
      )}
    </BlockStack>
  );
}
