import { Banner, BlockStack, Button, Card, DataTable, DropZone, ProgressBar, Text } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { api, upload } from "../api";
import { useI18n } from "../i18n";
import { rejectedRowsCSV, settled } from "../logic";
import type { ImportReport, ShipmentDetailResponse } from "../types";
import { Link, StateBadge } from "../ui";

export function Import() {
  const { t } = useI18n();
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

  const send = async (file: File) => {
    setError(undefined);
    setReport(undefined);
    setStates({});
    setProgress(0);
    try {
      setReport(await upload<ImportReport>("/imports", file, setProgress));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(undefined);
    }
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
          <Text as="p">{t("imp.help")}</Text>
          <DropZone accept=".csv,text/csv" allowMultiple={false} onDrop={(files) => files[0] && send(files[0])} label={t("imp.drop")}>
            <DropZone.FileUpload actionHint={t("imp.drop")} />
          </DropZone>
          {progress !== undefined && (
            <BlockStack gap="100">
              <Text as="p">{progress < 100 ? t("imp.uploading", { percent: progress }) : t("imp.processing")}</Text>
              <ProgressBar progress={progress} />
            </BlockStack>
          )}
        </BlockStack>
      </Card>
      {error && <Banner tone="critical" title={t("error.title")}>{error}</Banner>}
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
                r.line, r.order, r.tracking_number, r.error || r.warning || r.status,
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
