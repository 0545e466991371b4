/* The calendar page: FullCalendar fed by /calendar/events.json; drag, resize and click
   to create, saved through the events API (the same service as the forms). */
(function () {
  "use strict";
  var el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var narrow = window.matchMedia("(max-width: 767.98px)").matches;

  function flash(message, category) {
    document.body.dispatchEvent(new CustomEvent("flash", {detail: {message: message, category: category || "danger"}}));
  }
  function nextDay(day) {
    var d = new Date(day + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function save(info) {
    var ev = info.event;
    var body = {all_day: ev.allDay, version: ev.extendedProps.version};
    if (ev.allDay) {
      var first = ev.startStr.slice(0, 10);
      body.start = first + "T00:00:00Z";
      body.end = (ev.end ? ev.endStr.slice(0, 10) : nextDay(first)) + "T00:00:00Z";
    } else {
      // In a named time zone the Date objects are "UTC-coerced" (their UTC fields are the
      // wall time there): formatIso writes the wall time with the zone's real offset.
      body.start = calendar.formatIso(ev.start);
      body.end = calendar.formatIso(ev.end || new Date(ev.start.getTime() + 3600 * 1000));
    }
    fetch(el.dataset.apiUrl + ev.id, {
      method: "PATCH", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw data; }
        return data;
      });
    }).then(function (data) {
      ev.setExtendedProp("version", data.version);
      calendar.refetchEvents();
    }).catch(function (problem) {
      info.revert();
      var detail = (problem && (problem.detail || problem.title)) || "";
      if (problem && problem.errors) {
        detail = Object.keys(problem.errors).map(function (k) { return k + ": " + problem.errors[k].join(" "); }).join("; ");
      }
      flash((el.dataset.errorText || "") + " " + detail);
    });
  }

  function openNew(params) {
    var query = new URLSearchParams(params).toString();
    if (window.htmx) { htmx.ajax("GET", el.dataset.newUrl + "?" + query, {target: "#modal-content"}); }
    else { window.location.href = el.dataset.newUrl + "?" + query; }
  }

  var calendar = new FullCalendar.Calendar(el, {
    locale: el.dataset.locale || "en",
    // The user's saved time zone (the one the forms and pages use), whatever the
    // browser's: named zones are computed by the Luxon plugin.
    timeZone: el.dataset.timezone || "UTC",
    initialView: narrow ? "timeGridDay" : "timeGridWeek",
    headerToolbar: narrow
      ? {left: "prev,next", center: "title", right: "today"}
      : {left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay"},
    footerToolbar: narrow ? {center: "dayGridMonth,timeGridWeek,timeGridDay"} : false,
    firstDay: 1,
    nowIndicator: true,
    navLinks: true,
    selectable: true,
    selectMirror: true,
    editable: true,
    dayMaxEvents: true,
    // A 30-minute event (one 2rem row, calendar.css) has its time and title on one line.
    eventShortHeight: 40,
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    scrollTime: "08:00:00",
    expandRows: true,
    height: narrow ? "auto" : 720,
    businessHours: {daysOfWeek: [1, 2, 3, 4, 5], startTime: "08:00", endTime: "19:00"},
    events: {
      url: el.dataset.eventsUrl,
      failure: function () { flash("Could not load the events."); }
    },
    select: function (info) {
      calendar.unselect();
      openNew({start: info.startStr, end: info.endStr, all_day: info.allDay ? "1" : "0"});
    },
    eventDrop: save,
    eventResize: save,
    eventDidMount: function (info) {
      var p = info.event.extendedProps;
      var parts = [info.event.title];
      if (p.partner) { parts.push(p.partner); }
      if (p.location) { parts.push(p.location); }
      parts.push(p.organizer);
      info.el.setAttribute("title", parts.join(" · "));
      info.el.setAttribute("data-event-id", info.event.id);
    }
  });
  calendar.render();
  document.body.addEventListener("calendarChanged", function () { calendar.refetchEvents(); });
  window.comptoirCalendar = calendar;
})();
