; Inno Setup 6 script for mgdesk's Windows installer. build.py runs it as
;   ISCC /DVersion=0.1.0 /DNumericVersion=0.1.0.0 /DSourceDir=...\dist\mgdesk /DRoot=...
;        /O...\dist /Fmgdesk-0.1.0-windows-x86_64-setup [/DSign /Smgdesksign=...] mgdesk.iss
;
; One installer for both cases: all users (Program Files, needs an administrator; the
; default) or the current user only (%LOCALAPPDATA%\Programs, no administrator). The
; wizard asks; for managed deployment:
;   mgdesk-...-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /ALLUSERS
;   mgdesk-...-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /CURRENTUSER
; and uninstall silently with "{app}\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART.

#ifndef Version
  #error Pass /DVersion=<version> (build.py does)
#endif
#ifndef NumericVersion
  #error Pass /DNumericVersion=<a.b.c.d> (build.py does)
#endif
#ifndef SourceDir
  #error Pass /DSourceDir=<the onedir bundle> (build.py does)
#endif
#ifndef Root
  #error Pass /DRoot=<the repository> (build.py does)
#endif

[Setup]
; The AppId identifies mgdesk to Windows across versions: never change it.
AppId={{6A0E7C2B-5D1F-4B8E-9C3A-2F7D41E0B9A6}
AppName=mgdesk
AppVersion={#Version}
AppVerName=mgdesk {#Version}
AppPublisher=mgdesk developers
AppComments=Decision support for treating adult hypomagnesemia
VersionInfoVersion={#NumericVersion}
VersionInfoProductVersion={#NumericVersion}
DefaultDirName={autopf}\mgdesk
DefaultGroupName=mgdesk
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile={#Root}\LICENSE
SetupIconFile={#Root}\resources\icons\mgdesk.ico
UninstallDisplayIcon={app}\mgdesk-gui.exe
UninstallDisplayName=mgdesk
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
CloseApplications=yes
; .mgcase files open in mgdesk: Explorer is told the associations changed.
ChangesAssociations=yes
#ifdef Sign
SignTool=mgdesksign
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Dirs]
; The site protocol's machine-wide folder (mgdesk protocol install, elevated). Standard users
; may create folders and files in C:\ProgramData and own what they create, so the folder is
; made here, owned by Administrators, with only this access list (see [Run]): administrators
; and SYSTEM full control, users read. It outlives the app, like the protocol in it.
Name: "{commonappdata}\mgdesk"; Permissions: admins-full system-full users-readexec; Flags: uninsneveruninstall; Check: IsAdminInstallMode

[Registry]
; .mgcase: a saved case, opened with mgdesk-gui.exe (HKA: HKLM for all users, else HKCU).
Root: HKA; Subkey: "Software\Classes\.mgcase"; ValueType: string; ValueName: ""; ValueData: "mgdesk.case"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.mgcase"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-mgdesk-case"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.mgcase\OpenWithProgids"; ValueType: string; ValueName: "mgdesk.case"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\mgdesk.case"; ValueType: string; ValueName: ""; ValueData: "mgdesk case"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\mgdesk.case\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\mgdesk-gui.exe,0"
Root: HKA; Subkey: "Software\Classes\mgdesk.case\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\mgdesk-gui.exe"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\mgdesk-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".mgcase"; ValueData: ""; Flags: uninsdeletekey

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the whole bundle, so no file of an older version lingers in it.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\mgdesk"; Filename: "{app}\mgdesk-gui.exe"; Comment: "Hypomagnesemia decision support"
Name: "{autodesktop}\mgdesk"; Filename: "{app}\mgdesk-gui.exe"; Tasks: desktopicon

[Run]
; [Dirs] Permissions only add to what C:\ProgramData passes down (users may create files):
; take the folder (and anything a user put in it) for Administrators, then replace its list.
Filename: "{sys}\icacls.exe"; Parameters: """{commonappdata}\mgdesk"" /setowner *S-1-5-32-544 /T /C /Q"; Flags: runhidden waituntilterminated; Check: IsAdminInstallMode
Filename: "{sys}\icacls.exe"; Parameters: """{commonappdata}\mgdesk"" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX /T /C /Q"; Flags: runhidden waituntilterminated; Check: IsAdminInstallMode
Filename: "{app}\mgdesk-gui.exe"; Description: "{cm:LaunchProgram,mgdesk}"; Flags: nowait postinstall skipifsilent
