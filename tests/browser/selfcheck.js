// selfcheck.js - injected by check-report.sh into a test copy of a report
// (never into the report itself, which carries no script).  After layout,
// it checks that every SVG rendered with a non-zero size and drew marks,
// that no chart says it had nothing to show, that every section (h2) has a
// chart or a table with rows, and counts script errors.  The verdict goes
// into <pre id="selfcheck"> for `chromium --dump-dom` to read.
(function () {
  var errors = 0;
  window.addEventListener('error', function () { errors++; });
  window.addEventListener('load', function () {
    var svgs = document.querySelectorAll('svg'), empty = [], notes = [];
    for (var i = 0; i < svgs.length; i++) {
      var r = svgs[i].getBoundingClientRect(), marks = 0;
      var shapes = svgs[i].querySelectorAll('rect,path,line');
      for (var k = 0; k < shapes.length; k++) {
        var b = shapes[k].getBoundingClientRect();
        if (b.width > 0 || b.height > 0) marks++;
      }
      var title = svgs[i].querySelector('title');
      var name = title ? title.textContent : ('svg ' + i);
      if (!(r.width > 0 && r.height > 0) || marks < 1) empty.push(name);
      var texts = svgs[i].querySelectorAll('text');
      for (var t = 0; t < texts.length; t++)
        if (/^\(no .* in this recording\)$/.test(texts[t].textContent)) notes.push(name);
    }
    var bare = [], h2 = document.querySelectorAll('h2');
    for (var j = 0; j < h2.length; j++) {
      var n = h2[j].nextElementSibling, content = 0;
      for (; n && n.tagName !== 'H2'; n = n.nextElementSibling)
        if (n.tagName.toLowerCase() === 'svg' || (n.tagName === 'TABLE' && n.rows.length > 1) ||
            (n.tagName === 'PRE' && n.textContent.trim().length > 0)) content++;
      if (!content) bare.push(h2[j].textContent);
    }
    var pre = document.createElement('pre');
    pre.id = 'selfcheck';
    pre.textContent = 'SELFCHECK svgs=' + svgs.length + ' empty=' + empty.length +
      ' nodata=' + notes.length + ' sections=' + h2.length + ' bare=' + bare.length +
      ' errors=' + errors + ' height=' + Math.ceil(document.documentElement.scrollHeight) +
      ' | empty: ' + empty.join('; ') + ' | nodata: ' + notes.join('; ') +
      ' | bare: ' + bare.join('; ');
    document.body.appendChild(pre);
  });
})();
