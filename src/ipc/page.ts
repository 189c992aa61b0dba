/**
 * The web viewer page: no external resources (works offline), views rendered by the server for the window shown.
 * `window.__laytest` exposes the state for tests.
 */
export function viewerPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>laytest viewer</title>
<style>
body{margin:0;font:13px/1.4 system-ui,sans-serif;display:flex;height:100vh;color:#222}
#side{width:260px;border-right:1px solid #ddd;overflow:auto;padding:8px;box-sizing:border-box}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{padding:6px 8px;border-bottom:1px solid #ddd;display:flex;gap:6px;align-items:center;flex-wrap:wrap}
#bar button.on{background:#333;color:#fff}
#view{position:relative;width:900px;height:600px;overflow:hidden;background:#fff;cursor:grab;margin:8px;border:1px solid #ccc}
#view img{position:absolute;left:0;top:0;user-select:none;-webkit-user-drag:none}
#view.side img{width:450px}
.item{padding:4px 6px;border-radius:4px;cursor:pointer;margin-bottom:2px}.item.sel{background:#e8eefc}
.layer{display:flex;align-items:center;gap:6px}.sw{width:12px;height:12px;display:inline-block;border:1px solid #888}
#info{padding:0 8px;color:#555}
</style></head><body>
<div id="side"><b>Received</b><div id="items">nothing yet: send a diff with laytest diff A B --open-diff</div><hr><b>Layers</b><div id="layers"></div></div>
<div id="main">
<div id="bar">
 <button data-mode="overlay" class="on">overlay</button><button data-mode="side">side by side</button><button data-mode="slider">slider</button><button data-mode="xor">XOR only</button>
 <button id="fit">fit</button><button id="next">zoom to next difference</button>
 <label><input type="checkbox" id="texts" checked> labels</label>
 <input id="slider" type="range" min="0" max="100" value="50" style="display:none">
</div>
<div id="view"><img id="a" alt=""><img id="b" alt=""></div>
<div id="info"></div>
</div>
<script>
const S = { items: [], sel: null, detail: null, view: null, mode: 'overlay', hidden: new Set(), next: 0, loads: 0, cell: null, version: 0, updates: 0, texts: true }
window.__laytest = S
const W = 900, H = 600
const $ = (id) => document.getElementById(id)
async function json(u) { const r = await fetch(u); if (!r.ok) throw new Error(await r.text()); return r.json() }
async function refresh(selectNewest) {
  S.items = await json('api/items')
  $('items').innerHTML = S.items.length ? '' : 'nothing yet: send a diff with laytest diff A B --open-diff'
  for (const it of S.items) {
    const d = document.createElement('div')
    d.className = 'item' + (S.sel === it.seq ? ' sel' : '')
    d.textContent = (it.kind === 'diff' || it.files.length > 1 ? '◧ ' : '▢ ') + it.title
    d.onclick = () => select(it.seq)
    $('items').appendChild(d)
  }
  if (S.sel !== null && !S.items.some((x) => x.seq === S.sel)) { S.sel = null; S.detail = null }
  if ((selectNewest || S.sel === null) && S.items.length) await select(S.items[0].seq)
}
// keep: the same item changed (reload, cellview, focus): pan, zoom and layer choices stay
async function select(seq, keep) {
  const same = keep && S.sel === seq && S.detail
  S.sel = seq
  const detail = await json('api/item/' + seq + (same && S.cell ? '?cell=' + encodeURIComponent(S.cell) : ''))
  S.detail = detail
  S.version = detail.version
  if (!same) { S.cell = detail.cell; S.view = (detail.window || detail.box).slice(); S.next = 0 }
  $('layers').innerHTML = ''
  for (const l of S.detail.layers) {
    const row = document.createElement('label')
    row.className = 'layer'
    row.innerHTML = '<input type="checkbox" data-layer="' + l.key + '"><span class="sw" style="background:' + l.color + '"></span>' + l.key
    const box = row.querySelector('input')
    box.checked = !S.hidden.has(l.key)
    box.onchange = (e) => { e.target.checked ? S.hidden.delete(l.key) : S.hidden.add(l.key); draw() }
    $('layers').appendChild(row)
  }
  for (const d of $('items').children) d.classList.toggle('sel', false)
  const i = S.items.findIndex((x) => x.seq === seq)
  if (i >= 0 && $('items').children[i]) $('items').children[i].classList.add('sel')
  $('info').textContent = S.detail.title + (S.cell ? ' — cell ' + S.cell : '') + (S.detail.clusters.length ? ' — ' + S.detail.clusters.length + ' difference cluster(s)' : '')
  draw()
}
async function focusOn(d) {
  if (S.sel === null || (d.seq !== null && d.seq !== S.sel)) return
  if (d.cell !== S.cell) {
    S.cell = d.cell
    S.detail = await json('api/item/' + S.sel + (S.cell ? '?cell=' + encodeURIComponent(S.cell) : ''))
    S.view = S.detail.box.slice()
  }
  if (d.window) S.view = d.window.slice()
  $('info').textContent = S.detail.title + (S.cell ? ' — cell ' + S.cell : '')
  draw()
}
function src(which, w, extra) {
  const v = S.view, ls = S.detail.layers.map((l) => l.key).filter((k) => !S.hidden.has(k)).join(',')
  return 'render/' + which + '/' + S.sel + '?l=' + v[0] + '&b=' + v[1] + '&r=' + v[2] + '&t=' + v[3] + '&w=' + w + '&h=' + H + '&layers=' + encodeURIComponent(ls) + (S.cell ? '&cell=' + encodeURIComponent(S.cell) : '') + (S.texts ? '' : '&texts=0') + '&v=' + S.version + (extra || '')
}
let timer = null
function draw() {
  clearTimeout(timer)
  timer = setTimeout(() => {
    if (!S.detail) return
    const a = $('a'), b = $('b'), side = S.mode === 'side'
    $('view').className = side ? 'side' : ''
    a.style.transform = b.style.transform = ''
    $('slider').style.display = S.mode === 'slider' ? '' : 'none'
    b.style.clipPath = ''
    b.style.left = '0px'
    const pair = S.detail.kind === 'diff' || (S.items.find((x) => x.seq === S.sel) || { files: [] }).files.length > 1
    if (S.mode === 'overlay' || !pair) { a.src = src(pair ? 'overlay' : 'reference', W); b.style.display = 'none' }
    else if (S.mode === 'xor') { a.src = src('overlay', W, '&xoronly=1'); b.style.display = 'none' }
    else {
      // side by side: each half shows the same window
      const w = side ? W / 2 : W
      a.src = src('reference', w)
      b.src = src('test', w)
      b.style.display = ''
      if (side) b.style.left = W / 2 + 'px'
      else b.style.clipPath = 'inset(0 0 0 ' + $('slider').value + '%)'
    }
    S.loads++
  }, 60)
}
// pan and zoom
let drag = null
$('view').addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY }; $('view').style.cursor = 'grabbing' })
window.addEventListener('mousemove', (e) => { if (drag) for (const im of [$('a'), $('b')]) im.style.transform = 'translate(' + (e.clientX - drag.x) + 'px,' + (e.clientY - drag.y) + 'px)' })
window.addEventListener('mouseup', (e) => {
  if (!drag || !S.view) return
  const dx = e.clientX - drag.x, dy = e.clientY - drag.y
  drag = null
  $('view').style.cursor = 'grab'
  const v = S.view, s = Math.min(W / (v[2] - v[0]), H / (v[3] - v[1]))
  S.view = [v[0] - dx / s, v[1] + dy / s, v[2] - dx / s, v[3] + dy / s]
  draw()
})
$('view').addEventListener('wheel', (e) => {
  e.preventDefault()
  if (!S.view) return
  const f = e.deltaY < 0 ? 1 / 1.25 : 1.25
  const r = $('view').getBoundingClientRect(), v = S.view
  const px = (e.clientX - r.left) / W, py = (e.clientY - r.top) / H
  const x = v[0] + px * (v[2] - v[0]), y = v[3] - py * (v[3] - v[1])
  S.view = [x - (x - v[0]) * f, y - (y - v[1]) * f, x + (v[2] - x) * f, y + (v[3] - y) * f]
  draw()
}, { passive: false })
for (const b of document.querySelectorAll('[data-mode]')) b.onclick = () => {
  S.mode = b.dataset.mode
  for (const x of document.querySelectorAll('[data-mode]')) x.classList.toggle('on', x === b)
  draw()
}
$('slider').oninput = () => { $('b').style.clipPath = 'inset(0 0 0 ' + $('slider').value + '%)' }
$('texts').onchange = (e) => { S.texts = e.target.checked; draw() }
$('fit').onclick = () => { if (S.detail) { S.view = S.detail.box.slice(); draw() } }
$('next').onclick = () => {
  const c = S.detail && S.detail.clusters
  if (!c || !c.length) return
  const k = c[S.next++ % c.length]
  // a window around the cluster, 8x its size (at least 40 dbu), keeping the view's aspect
  const cx = (k[0] + k[2]) / 2, cy = (k[1] + k[3]) / 2
  const half = Math.max(k[2] - k[0], k[3] - k[1], 40) * 4
  S.view = [cx - half * W / H, cy - half, cx + half * W / H, cy + half]
  draw()
}
const es = new EventSource('events')
es.onmessage = (m) => {
  const d = JSON.parse(m.data)
  if (d.type === 'item' || d.type === 'clear' || d.type === 'remove') refresh(d.type === 'item')
  else if (d.type === 'update') {
    S.updates++
    if (d.seq === S.sel) refresh(false).then(() => select(d.seq, true))
    else refresh(false)
  } else if (d.type === 'focus') focusOn(d)
}
refresh(true)
</script></body></html>
`
}
