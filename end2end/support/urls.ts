// Where the shared test processes listen, as the global setup found them.
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the specs through playwright.config.ts`);
  return value;
}

/** The portal every spec uses. */
export const portalUrl = () => required("PORTAL_E2E_URL");
/** The mail sink's HTTP side (GET /messages?to=…). */
export const mailSinkUrl = () => required("PORTAL_E2E_MAIL_SINK");
/** The webhook receiver. */
export const receiverUrl = () => required("PORTAL_E2E_RECEIVER");
/** The second portal: nginx in front of two instances on PostgreSQL (scripts/with-postgres.sh). */
export const instancesUrl = () => required("PORTAL_E2E_INSTANCES_URL");
/** Those instances' metrics pages. */
export const instanceMetrics = () => required("PORTAL_E2E_INSTANCE_METRICS").split(",");
