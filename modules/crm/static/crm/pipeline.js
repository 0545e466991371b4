/* Pipeline kanban: drag a card to another stage; the move is saved through htmx (the same
   service as every other change) and the board, with its totals, is redrawn. */
(function () {
  "use strict";
  function init() {
    var board = document.getElementById("pipeline");
    if (!board || !window.Sortable || board.dataset.ready) { return; }
    board.dataset.ready = "1";
    var moveUrl = board.dataset.moveUrl;
    board.querySelectorAll(".kanban-list").forEach(function (list) {
      Sortable.create(list, {
        group: "pipeline", animation: 150, ghostClass: "sortable-ghost",
        onEnd: function (evt) {
          if (evt.from === evt.to) { return; }
          var id = evt.item.dataset.id;
          var stage = evt.to.dataset.stageId;
          var filters = document.getElementById("pipeline-filters");
          var query = filters ? new URLSearchParams(new FormData(filters)).toString() : "";
          htmx.ajax("POST", moveUrl.replace(/\/0\/move$/, "/" + id + "/move") + (query ? "?" + query : ""), {
            target: "#results", swap: "innerHTML", values: { stage_id: stage }
          }).then(function () {}, function () {});
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", init);
  document.body.addEventListener("htmx:afterSettle", init);
  document.body.addEventListener("htmx:responseError", function (evt) {
    // A refused move (won/lost stage, concurrent change): redraw the board as it is.
    if (document.getElementById("pipeline") && evt.detail.requestConfig &&
        /\/move/.test(evt.detail.requestConfig.path)) {
      htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#results" });
    }
  });
  init();
})();
