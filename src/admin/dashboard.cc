#include "admin/dashboard.h"

namespace ssegate::admin {

std::string_view dashboardHtml() {
  static constexpr std::string_view kHtml = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ssegate</title><link rel="icon" href="data:,">
<style>
body{font:14px system-ui,sans-serif;margin:24px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px}
.card .v{font-size:24px;font-weight:600}
.card .k{color:#666;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;margin-top:16px}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:13px}
#status{font-size:12px;color:#666}
</style></head><body>
<h1>ssegate <span id="status">connecting…</span></h1>
<div class="grid">
<div class="card"><div class="v" id="connections">-</div><div class="k">connections</div></div>
<div class="card"><div class="v" id="subscriptions">-</div><div class="k">subscriptions</div></div>
<div class="card"><div class="v" id="channels">-</div><div class="k">channels</div></div>
<div class="card"><div class="v" id="events_in_per_s">-</div><div class="k">events/s from origins</div></div>
<div class="card"><div class="v" id="deliveries_per_s">-</div><div class="k">deliveries/s</div></div>
<div class="card"><div class="v" id="bytes_per_s">-</div><div class="k">bytes/s sent</div></div>
<div class="card"><div class="v" id="p50">-</div><div class="k">latency p50 (ms)</div></div>
<div class="card"><div class="v" id="p99">-</div><div class="k">latency p99 (ms)</div></div>
<div class="card"><div class="v" id="events_delivered">-</div><div class="k">events delivered</div></div>
</div>
<h2 style="font-size:16px">Channels</h2>
<table><thead><tr><th>upstream</th><th>path</th><th>state</th><th>subscribers</th><th>last event id</th><th>events</th></tr></thead><tbody id="chan"></tbody></table>
<h2 style="font-size:16px">Rejections</h2>
<table><thead><tr><th>reason</th><th>count</th></tr></thead><tbody id="rej"></tbody></table>
<script>
function cell(t){const d=document.createElement('td');d.textContent=t;return d}
function rows(id,list){const b=document.getElementById(id);b.replaceChildren();
 for(const r of list){const tr=document.createElement('tr');for(const c of r)tr.appendChild(cell(c));b.appendChild(tr)}}
const es=new EventSource('/dashboard/events');
es.onopen=()=>{document.getElementById('status').textContent='live'};
es.onerror=()=>{document.getElementById('status').textContent='reconnecting…'};
es.onmessage=(e)=>{const s=JSON.parse(e.data);
 for(const k of ['connections','subscriptions','channels','events_in_per_s','deliveries_per_s','bytes_per_s','events_delivered'])
  document.getElementById(k).textContent=s[k];
 document.getElementById('p50').textContent=(s.latency_p50*1000).toFixed(1);
 document.getElementById('p99').textContent=(s.latency_p99*1000).toFixed(1);
 rows('chan',s.channel_list.map(c=>[c.upstream,c.path,c.state,c.subscribers,c.last_event_id,c.events_received]));
 rows('rej',Object.entries(s.rejected));};
</script></body></html>
)HTML";
  return kHtml;
}

}  // namespace ssegate::admin
