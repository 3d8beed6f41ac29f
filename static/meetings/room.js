/* The meeting page: Jitsi's IFrame API (external_api.js from the Jitsi server) embeds the
   room with the person's token. The tutor, made moderator by the token, locks the room
   with its password; everyone else answers the password prompt with it. Hanging up goes
   back to the session's page. */
(function () {
  "use strict";

  var configNode = document.getElementById("meeting-config");
  var container = document.querySelector("[data-testid='meeting-room']");
  var status = document.querySelector("[data-testid='meeting-status']");
  if (!configNode || !container || !status) {
    return;
  }
  var config = JSON.parse(configNode.textContent);

  function show(text, state) {
    status.textContent = text;
    status.setAttribute("data-state", state);
  }

  if (typeof window.JitsiMeetExternalAPI !== "function") {
    show("The video service could not be reached. Reload the page to try again.", "failed");
    return;
  }

  var api = new window.JitsiMeetExternalAPI(config.domain, {
    roomName: config.room,
    jwt: config.jwt,
    parentNode: container,
    width: "100%",
    height: "100%",
    userInfo: { displayName: config.display_name, email: config.email },
    configOverwrite: {
      // The platform's join page was the lobby: go straight in, in the browser.
      prejoinConfig: { enabled: false },
      prejoinPageEnabled: false,
      disableDeepLinking: true,
      // The name comes from the token; observers listen without being heard or seen.
      readOnlyName: true,
      startWithAudioMuted: config.start_audio_muted,
      startWithVideoMuted: config.start_video_muted,
      subject: config.subject
    }
  });

  var localId = null;
  var locked = false;

  function lockRoom() {
    if (locked || !config.moderator || !config.password) {
      return;
    }
    locked = true;
    api.executeCommand("password", config.password);
    if (config.subject) {
      api.executeCommand("subject", config.subject);
    }
  }

  api.addListener("videoConferenceJoined", function (event) {
    localId = event && event.id ? event.id : null;
    show("In the meeting", "joined");
  });

  api.addListener("participantRoleChanged", function (event) {
    var mine = localId === null || !event || !event.id || event.id === localId;
    if (mine && event && event.role === "moderator") {
      lockRoom();
    }
  });

  api.addListener("passwordRequired", function () {
    if (config.password) {
      api.executeCommand("password", config.password);
    }
  });

  api.addListener("videoConferenceLeft", function () {
    show("You left the meeting", "left");
  });

  api.addListener("errorOccurred", function (event) {
    // { name, type, message, details, isFatal } (the IFrame API's errorOccurred).
    if (event && event.isFatal) {
      show("The meeting could not be joined. Go back to the session and join again.", "failed");
    }
  });

  api.addListener("readyToClose", function () {
    api.dispose();
    window.location.assign(config.back_url);
  });
})();
