"""The main window's columns: the decision first, the algorithm giving way first.

Wide, the form, the plan and the algorithm sit side by side; the plan keeps its width
and the algorithm takes (and gives back) the rest. Below WIDE_FROM pixels the algorithm
becomes a tab beside the plan, so the plan keeps a readable width down to 800 pixels.
Each arrangement remembers its own splitter state (in the settings, under "main" and
"main_narrow").
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, Qt
from PySide6.QtWidgets import (
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyleOptionTabWidgetFrame,
    QTabWidget,
    QWidget,
)

from mgdesk.gui.settings import Settings

MINIMUM_SIZE = (800, 600)  # the window's, in pixels: a 1024x768 screen with room to spare
WIDE_FROM = 1240  # window width (pixels) from which the algorithm gets its own column
PLAN_WIDTH = 500  # the plan column's first width when there are three columns
PLAN_MINIMUM = 300
ALGORITHM_MINIMUM = 360
PLAN_TAB, ALGORITHM_TAB = "Plan", "Algorithm"


class ColumnTabs(QTabWidget):
    """Tabs that repaint their page only when their own layout changes.

    QTabWidget lays itself out again, and repaints the whole current page, each time anything
    on the page asks for a new layout: every edit that rewords a label of the plan would
    repaint the whole plan column. Only the tab bar and the page are compared: in document
    mode and without corner widgets (as WindowColumns sets them up) nothing else is laid out."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and self._laid_out():
            self.updateGeometry()  # the splitter still learns the page's new size hints
            return True
        return super().event(event)

    def _laid_out(self) -> bool:
        """Whether the tab bar and the page already have the geometry Qt would give them."""
        option = QStyleOptionTabWidgetFrame()
        self.initStyleOption(option)
        style = self.style()
        stack = self.findChild(QStackedWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        return stack is not None and (
            style.subElementRect(QStyle.SubElement.SE_TabWidgetTabBar, option, self),
            style.subElementRect(QStyle.SubElement.SE_TabWidgetTabContents, option, self),
        ) == (self.tabBar().geometry(), stack.geometry())


class WindowColumns:
    """Owns the main splitter and the plan's tabs; fit() arranges them for a window width."""

    def __init__(
        self, form: QWidget, plan: QWidget, algorithm: QWidget, settings: Settings
    ) -> None:
        self.form, self.plan, self.algorithm = form, plan, algorithm
        self.settings = settings
        plan.setMinimumWidth(PLAN_MINIMUM)
        algorithm.setMinimumWidth(ALGORITHM_MINIMUM)
        self.tabs = ColumnTabs()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)  # one tab (the plan alone): no tab bar
        self.tabs.addTab(plan, PLAN_TAB)
        self.tabs.setAccessibleName("Plan and algorithm")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(form)
        self.splitter.addWidget(self.tabs)
        self.wide: bool | None = None  # not arranged yet
        self._states = {name: settings.splitter_state(name) for name in ("main", "main_narrow")}

    @staticmethod
    def state_name(wide: bool) -> str:
        return "main" if wide else "main_narrow"

    def fit(self, window_width: int) -> None:
        """Three columns from WIDE_FROM pixels, else the algorithm as a tab beside the plan."""
        wide = window_width >= WIDE_FROM
        if wide == self.wide:
            return
        if self.wide is not None:
            self._states[self.state_name(self.wide)] = self.splitter.saveState()
        self.wide = wide
        if wide:
            self.tabs.removeTab(self.tabs.indexOf(self.algorithm))
            self.splitter.addWidget(self.algorithm)
            self.algorithm.show()
            for index, stretch in enumerate((0, 0, 1)):
                self.splitter.setStretchFactor(index, stretch)
        else:
            self.tabs.addTab(self.algorithm, ALGORITHM_TAB)
            for index, stretch in enumerate((0, 1)):
                self.splitter.setStretchFactor(index, stretch)
        state = self._states[self.state_name(wide)]
        if state.isEmpty() or not self.splitter.restoreState(state):
            self._first_sizes(window_width)

    def _first_sizes(self, window_width: int) -> None:
        form = self.form.minimumWidth()
        if self.wide:
            rest = max(window_width - form - PLAN_WIDTH, ALGORITHM_MINIMUM)
            self.splitter.setSizes([form, PLAN_WIDTH, rest])
        else:
            self.splitter.setSizes([form, max(window_width - form, PLAN_MINIMUM)])

    def show_plan(self) -> None:
        self.tabs.setCurrentWidget(self.plan)

    def show_algorithm(self) -> None:
        if self.tabs.indexOf(self.algorithm) >= 0:
            self.tabs.setCurrentWidget(self.algorithm)

    def states(self) -> dict[str, QByteArray]:
        """Each arrangement's splitter state, the current one as it is now."""
        if self.wide is not None:
            self._states[self.state_name(self.wide)] = self.splitter.saveState()
        return dict(self._states)
