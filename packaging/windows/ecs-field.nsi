; ECS Field Kit installer for Windows (NSIS 3, Unicode).
;   makensis /DVERSION=0.2.0 /DPAYLOAD=..\dist\ecs-field /DOUTFILE=..\dist\ecs-field-0.2.0-setup.exe ecs-field.nsi
; Optional /DMINGIT=<folder>: a MinGit (Git for Windows, minimal) to install as $INSTDIR\mingit.
; PAYLOAD is the PyInstaller one-folder bundle (ecs-field.exe: CLI and write helper; ecs-field-gui.exe:
; the app). The technician chooses "just for me" (no admin rights, %LOCALAPPDATA%\Programs) or
; "everyone on this computer" (Program Files, UAC prompt). The write helper elevates on its own
; through UAC when a stick is written, so the app itself never runs as administrator.
Unicode true
!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef PAYLOAD
  !error "pass /DPAYLOAD=<folder of the PyInstaller bundle>"
!endif
!ifndef OUTFILE
  !define OUTFILE "ecs-field-${VERSION}-setup.exe"
!endif

!define APPNAME "ECS Field Kit"
!define APPID "io.github.ecsfield.FieldKit"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPID}"
!define PROGID "${APPID}.iso"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_INSTDIR "ECS Field Kit"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${UNINSTKEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_USE_PROGRAMFILES64
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
SetCompressor /SOLID lzma
BrandingText "${APPNAME} ${VERSION}"
!define MUI_ICON "ecs-field.ico"
!define MUI_UNICON "ecs-field.ico"
!define MUI_ABORTWARNING
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "LegalCopyright" "Apache-2.0"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\ecs-field-gui.exe"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

Section "ECS Field Kit" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
!ifdef MINGIT
  ; A minimal Git for Windows beside the app: the Sites features use it when the laptop has no
  ; Git on PATH (ecs_field/sites/repo/gitfind.py). The release workflow passes /DMINGIT=<folder>.
  SetOutPath "$INSTDIR\mingit"
  File /r "${MINGIT}\*.*"
  SetOutPath "$INSTDIR"
!endif
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\ecs-field-gui.exe" "" "$INSTDIR\ecs-field-gui.exe" 0

  ; "Open with ECS Field Kit" for ISO images, without taking the default away from Explorer.
  WriteRegStr SHCTX "Software\Classes\${PROGID}" "" "Disk image for ${APPNAME}"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\ecs-field-gui.exe,0"
  WriteRegStr SHCTX "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\ecs-field-gui.exe" gui "%1"'
  WriteRegStr SHCTX "Software\Classes\.iso\OpenWithProgids" "${PROGID}" ""
  WriteRegStr SHCTX "Software\Classes\Applications\ecs-field-gui.exe\shell\open\command" "" '"$INSTDIR\ecs-field-gui.exe" gui "%1"'

  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTKEY}" "Publisher" "ECS Field Kit developers"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\ecs-field-gui.exe"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  DeleteRegKey SHCTX "Software\Classes\${PROGID}"
  DeleteRegValue SHCTX "Software\Classes\.iso\OpenWithProgids" "${PROGID}"
  DeleteRegKey SHCTX "Software\Classes\Applications\ecs-field-gui.exe"
  DeleteRegKey SHCTX "${UNINSTKEY}"
  ; The bundle only: sites, snapshots and the image library live in the user's data folder.
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\mingit"
  Delete "$INSTDIR\ecs-field.exe"
  Delete "$INSTDIR\ecs-field-gui.exe"
  Delete "$INSTDIR\ecs-field-helper.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
