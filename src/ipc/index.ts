export { ViewerServer, startViewerServer, type ViewerItem, type ServerOptions } from './server.js'
export { connectViewer, ViewerConnection, ViewerError, sendToKlive, viewerAddress, exchange, type ViewerOptions } from './client.js'
export { parseLyipc, DEFAULT_PORT, PROTOCOL_VERSION, MAX_JSON_LINE, MAX_PLAIN_LINE, type DiffMessage, type Request, type Reply } from './protocol.js'
export { show, trace, animate } from './show.js'
