'use strict';
// Django's navigation sidebar starts collapsed (issue 14: no horizontal scroll at 1366 px): its
// script (admin/js/nav_sidebar.js, deferred) opens it unless this key says otherwise, and keeps
// the person's own choice once they toggle it.
if (window.localStorage && localStorage.getItem('django.admin.navSidebarIsOpen') === null) {
    localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
}
