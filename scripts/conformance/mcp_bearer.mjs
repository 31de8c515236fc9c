// Preloaded into the MCP conformance suite (node --import): the suite connects without
// credentials, so this adds "Authorization: Bearer $MCP_CONFORMANCE_BEARER" to every HTTP
// request it sends to the server under test. It sets undici's global dispatcher, which both
// Node's fetch (the MCP SDK client) and undici.request (the raw-HTTP scenarios) go through.
import { createRequire } from "node:module";

const home = process.env.MCP_CONFORMANCE_HOME;
const token = (process.env.MCP_CONFORMANCE_BEARER || "").trim();
const target = new URL(process.env.MCP_CONFORMANCE_URL).origin;
if (!home || !token) {
  throw new Error("set MCP_CONFORMANCE_HOME (the npm prefix of the suite) and MCP_CONFORMANCE_BEARER");
}
const { Agent, setGlobalDispatcher } = createRequire(`${home}/node_modules/`)("undici");

function withBearer(headers) {
  const value = `Bearer ${token}`;
  if (headers == null) return { authorization: value };
  if (Array.isArray(headers)) {
    const flat = headers.length > 0 && !Array.isArray(headers[0]);
    const names = flat ? headers.filter((_, i) => i % 2 === 0) : headers.map(([name]) => name);
    if (names.some((name) => String(name).toLowerCase() === "authorization")) return headers;
    return flat ? [...headers, "authorization", value] : [...headers, ["authorization", value]];
  }
  if (Object.keys(headers).some((name) => name.toLowerCase() === "authorization")) return headers;
  return { ...headers, authorization: value };
}

const addBearer = (dispatch) => (options, handler) => {
  if (options.origin && new URL(String(options.origin)).origin === target) {
    options = { ...options, headers: withBearer(options.headers) };
  }
  return dispatch(options, handler);
};

setGlobalDispatcher(new Agent().compose(addBearer));
