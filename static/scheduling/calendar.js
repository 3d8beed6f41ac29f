/* Calendar pages: FullCalendar fed by the calendar events API, in the viewer's time zone.

   FullCalendar without a time-zone plugin cannot convert between named zones, so the API
   does it: it answers in the zone asked for, and the offsets are dropped here so that
   FullCalendar places each time as the wall-clock time it is in that zone. Ranges are
   asked for by date (midnight in that zone), which the API accepts. */
(function () {
  "use strict";

  // The current wall-clock time in `zone`, as FullCalendar's "now" (no offset).
  function wallClockNow(zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" +
      parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  function wallClock(iso) {
    return iso.slice(0, 19);
  }

  function paintSwatches(root) {
    root.querySelectorAll(".calendar-legend").forEach(function (list) {
      list.style.listStyle = "none";
      list.style.display = "flex";
      list.style.flexWrap = "wrap";
      list.style.gap = "1rem";
      list.style.paddingLeft = "0";
      list.querySelectorAll("li").forEach(function (item) { item.style.listStyle = "none"; });
    });
    root.querySelectorAll(".calendar-swatch[data-colour]").forEach(function (swatch) {
      swatch.style.display = "inline-block";
      swatch.style.width = "1rem";
      swatch.style.height = "1rem";
      swatch.style.borderRadius = ".2rem";
      swatch.style.verticalAlign = "middle";
      swatch.style.backgroundColor = swatch.dataset.colour;
    });
  }

  function start(element) {
    var zone = element.dataset.timeZone || "UTC";
    var url = element.dataset.eventsUrl;
    var status = document.getElementById(element.dataset.status || "");
    var filter = document.querySelector('[data-calendar-filter="' + element.id + '"]');

    function say(message) {
      if (status) status.textContent = message;
    }

    var calendar = new FullCalendar.Calendar(element, {
      timeZone: zone,
      now: function () { return wallClockNow(zone); },
      initialView: window.matchMedia("(max-width: 700px)").matches ? "listWeek" : "timeGridWeek",
      headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,dayGridMonth,listWeek" },
      buttonText: { today: "Today", week: "Week", month: "Month", list: "List" },
      firstDay: 1,
      nowIndicator: true,
      height: "auto",
      scrollTime: "08:00:00",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      events: function (info, success, failure) {
        var params = new URLSearchParams({
          start: info.startStr.slice(0, 10),
          end: info.endStr.slice(0, 10),
          tz: zone
        });
        var tutor = filter ? filter.value : element.dataset.tutor;
        if (tutor) params.set("tutor", tutor);
        say("Loading…");
        fetch(url + "?" + params.toString(), {
          credentials: "same-origin",
          headers: { Accept: "application/json" }
        }).then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        }).then(function (body) {
          var sessions = 0;
          success(body.events.map(function (event) {
            if (event.display !== "background") sessions += 1;
            return Object.assign({}, event, { start: wallClock(event.start), end: wallClock(event.end) });
          }));
          say(sessions === 1 ? "1 session in this range." : sessions + " sessions in this range.");
        }).catch(function (error) {
          say("The calendar could not be loaded. Please reload the page.");
          failure(error);
        });
      },
      eventDidMount: function (info) {
        var props = info.event.extendedProps;
        if (props.status) {
          info.el.classList.add("fc-status-" + props.status);
          info.el.setAttribute("data-status", props.status);
          info.el.title = info.event.title;
        }
      }
    });
    calendar.render();
    if (filter) {
      filter.addEventListener("change", function () { calendar.refetchEvents(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintSwatches(document);
    if (typeof FullCalendar === "undefined") return;
    document.querySelectorAll("[data-calendar]").forEach(start);
  });
})();
