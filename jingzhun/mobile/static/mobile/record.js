/* A form of the phone app (visit, check-in, report) becomes a record in the outbox, then is sent at once when
 * there is a network. A visit adds the place from navigator.geolocation with the accuracy it reports, and its
 * photos resized on the phone (≤ 1600 px, JPEG) and hashed (SHA-256, crypto.subtle): the server checks the
 * digest against the bytes. "?edit=<id>" opens a refused record to change it. */
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82, MAX_PHOTOS = 4;
  var outbox = window.jingzhunOutbox;
  var form = document.getElementById("record");
  if (!form) { return; }
  var saved = document.getElementById("saved");
  var kind = form.getAttribute("data-kind");
  var editing = new URLSearchParams(location.search).get("edit");

  /* ---- place ---- */
  var locate = document.getElementById("locate");
  var place = document.getElementById("place");
  function setPlace(position) {
    var c = position.coords;
    form.elements.latitude.value = c.latitude.toFixed(6);
    form.elements.longitude.value = c.longitude.toFixed(6);
    form.elements.location_accuracy.value = Math.max(0.1, Math.round(c.accuracy * 10) / 10).toString();
    place.textContent = "纬度 " + c.latitude.toFixed(6) + "，经度 " + c.longitude.toFixed(6) +
                        "，误差约 " + Math.round(c.accuracy) + " 米";
    place.setAttribute("data-located", "1");
  }
  function askPlace() {
    if (!navigator.geolocation) { place.textContent = "此手机不能定位"; return; }
    place.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(setPlace, function (error) {
      place.textContent = "未能定位（" + error.message + "），可稍后再试";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  if (locate) { locate.addEventListener("click", askPlace); if (!editing) { askPlace(); } }

  /* ---- photos ---- */
  function toHex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer), text = "", step = 0x8000;
    for (var i = 0; i < bytes.length; i += step) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
    }
    return btoa(text);
  }
  function resized(file) {
    return createImageBitmap(file).then(function (image) {
      var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(image.width * scale));
      canvas.height = Math.max(1, Math.round(image.height * scale));
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    }).then(function (blob) { return blob.arrayBuffer(); });
  }
  function photos() {
    var input = form.elements.photos;
    if (!input || !input.files.length) { return Promise.resolve([]); }
    var files = Array.prototype.slice.call(input.files, 0, MAX_PHOTOS);
    return Promise.all(files.map(function (file, n) {
      return resized(file).then(function (buffer) {
        return crypto.subtle.digest("SHA-256", buffer).then(function (digest) {
          return { file: "photo-" + (n + 1) + ".jpg", sha256: toHex(digest), jpeg_base64: toBase64(buffer) };
        });
      });
    }));
  }

  /* The server's bound on a visit's photos, their base64 in all (the page renders it from the API's one
   * constant): a visit over it would be refused, so it is not queued; the person chooses other photos now. */
  var photosTotal = Number(form.getAttribute("data-photos-total")) || 0;
  var PHOTOS_OVER = {};  // the refusal below, told apart from a failure to save
  function withinTotal(pictures) {
    var sum = pictures.reduce(function (n, p) { return n + p.jpeg_base64.length; }, 0);
    if (photosTotal > 0 && sum > photosTotal) { throw PHOTOS_OVER; }
    return pictures;
  }

  /* ---- the record ---- */
  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "submit" || el.type === "button") { return; }
      if (el.type === "checkbox") {
        out[el.name] = out[el.name] || [];
        if (el.checked) { out[el.name].push(el.value); }
        return;
      }
      out[el.name] = el.value;
    });
    return out;
  }
  function body(form_values, pictures) {
    var b = {};
    Object.keys(form_values).forEach(function (k) { b[k] = form_values[k]; });
    if (kind === "visit") {
      b.visited_at = b.visited_at + ":00+08:00";  // the form's local time is Beijing time
      ["latitude", "longitude", "location_accuracy"].forEach(function (k) {
        b[k] = b[k] === "" ? null : Number(b[k]);
      });
      b.photos = pictures;
    }
    if (kind === "report") {
      b.household_id = Number(b.household_id);
      b.schooling = b.schooling || "0";
      b.disaster = b.disaster || "0";
    }
    return b;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    saved.textContent = "正在保存…";
    var kept = values();
    saved.removeAttribute("data-refused");
    photos().then(withinTotal).then(function (pictures) {
      var record = { kind: kind, url: form.getAttribute("data-url"), label: form.getAttribute("data-label"),
                     page: location.pathname, form: kept, body: body(kept, pictures) };
      if (editing) { return outbox.remove(editing).then(function () { return outbox.add(record); }); }
      return outbox.add(record);
    }).then(function (record) {
      saved.textContent = "已存入待发送，有网络时自动发送。";
      saved.setAttribute("data-record", record.id);
      button.disabled = false;
      return outbox.flush();
    }).catch(function (error) {
      if (error === PHOTOS_OVER) {  // the words the page's language gives, with the bound in them
        saved.textContent = form.getAttribute("data-photos-over");
        saved.setAttribute("data-refused", "photos");
      } else {
        saved.textContent = "未能保存：" + error;
      }
      button.disabled = false;
    });
  });

  /* A refused record opened to be changed: its values back in the form. */
  if (editing) {
    outbox.get(editing).then(function (record) {
      if (!record || !record.form) { return; }
      Object.keys(record.form).forEach(function (name) {
        var value = record.form[name];
        Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (el) {
          if (el.type === "checkbox") { el.checked = value.indexOf(el.value) >= 0; } else { el.value = value; }
        });
      });
      if (record.reason) { saved.textContent = "退回原因：" + record.reason; }
      if (place && record.form.latitude) { place.textContent = "纬度 " + record.form.latitude + "，经度 " + record.form.longitude; }
    });
  }
})();
