/**
 * `laytest/viewer`: the viewer from a program — connect (launching `laytest serve` when nothing listens), show a
 * layout, trace a generator step by step, play frames, or send a file to KLayout's klive plugin. docs/viewer.md.
 */
export { connectViewer, ViewerConnection, ViewerError, sendToKlive, viewerAddress, mapPath, type ViewerOptions } from './client.js'
export { show, trace, animate } from './show.js'
export { startViewerServer, ViewerServer, type ServerOptions, type ViewerItem } from './server.js'
export { ViewerHttp, type HttpOptions } from './http.js'
export { DEFAULT_PORT, type DiffMessage, type Request, type Reply } from './protocol.js'
export { tokenFile, readToken } from './token.js'
